/**
 * The negative controls: each switches one guarantee off from outside the engine, by redefining one
 * SQL function in the chaos app's schema before any worker runs, and must make the oracle fail.
 *
 * - `no-fence`: `lease_held(task, claims)` (migration 0012) answers true, so a worker that lost its
 *   lease still writes;
 * - `drop-signal`: `deliver_signal(job, signal, data)` (migration 0001) delivers nothing, stores
 *   nothing and answers 0.
 */
import type { Control } from './chaos-options.js';

export function controlSql(control: Control, schema: string): string {
  if (control === 'no-fence') {
    return `CREATE OR REPLACE FUNCTION ${schema}.lease_held(p_task bigint, p_claims int) RETURNS boolean
            LANGUAGE sql STABLE AS $$ SELECT true $$`;
  }
  return `CREATE OR REPLACE FUNCTION ${schema}.deliver_signal(p_job text, p_signal text, p_data jsonb) RETURNS int
          LANGUAGE sql AS $$ SELECT 0 $$`;
}

/**
 * The negative controls: each switches one guarantee off from outside the engine, by redefining SQL
 * functions in the chaos app's schema before any worker runs, and must make the oracle fail.
 *
 * - `no-fence`: `lease_held(task, claims)` (migrations 0012, 0016) answers true, so a worker that
 *   lost its lease still writes;
 * - `drop-signal`: every function that delivers a signal (0001's `deliver_signal`, and 0019's
 *   `signal_job` and `signal_app` where they exist) accepts it and does nothing: answers 0, or
 *   'delivered'.
 *
 * The functions are found in the catalog and redefined with their own signatures, so a control keeps
 * working while the engine's migrations change around it.
 */
import type { Control } from './chaos-options.js';
import type { Queryable } from './queryable.js';

const TARGETS: Record<Control, string[]> = {
  'no-fence': ['lease_held'],
  'drop-signal': ['deliver_signal', 'signal_job', 'signal_app'],
};

/** What a switched-off function answers, by its return type. */
const ANSWER: Record<string, string> = { boolean: 'true', integer: '0', text: `'delivered'` };

/** Redefine the control's functions in `schema` (unquoted); answers their names. Throws if none exists. */
export async function applyControl(db: Queryable, control: Control, schema: string): Promise<string[]> {
  const res = await db.query(
    `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = ANY($2::text[])`,
    [schema, TARGETS[control]],
  );
  const rows = res.rows as Array<{ name: string; args: string; result: string }>;
  if (rows.length === 0) throw new Error(`control ${control}: none of ${TARGETS[control].join(', ')} in schema ${schema}`);
  for (const fn of rows) {
    const answer = ANSWER[fn.result];
    if (answer === undefined) throw new Error(`control ${control}: ${fn.name} returns ${fn.result}, which it cannot answer`);
    await db.query(`CREATE OR REPLACE FUNCTION "${schema}".${fn.name}(${fn.args}) RETURNS ${fn.result} LANGUAGE sql AS $$ SELECT ${answer} $$`);
  }
  return rows.map((r) => r.name);
}

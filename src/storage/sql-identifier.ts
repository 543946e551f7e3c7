/**
 * The one place where a name becomes SQL text. Only two kinds of identifiers ever reach SQL: the
 * app's schema and the NOTIFY channel derived from it. Both are validated against a strict pattern
 * here and then double-quoted; every other value is a bound parameter.
 *
 * appId → schema mapping (documented in the README):
 *   - an appId is 1-48 characters of `[a-z0-9_-]`, starting with a letter;
 *   - the schema is the appId with `-` replaced by `_` (`my-app` → `my_app`);
 *   - that replacement is not injective (`a-b` and `a_b` both give `a_b`), so the schema registry
 *     (`hotmesh_registry.apps`, UNIQUE on schema) refuses a second appId for a taken schema with
 *     an AppSchemaConflictError. Two app ids can never share a schema.
 *   - names that would shadow system schemas (`pg_*`, `information_schema`, `public`,
 *     `hotmesh_registry`) are refused.
 * Rejecting instead of rewriting, and capping the length far below Postgres' silent 63-byte
 * truncation, keeps the mapping predictable.
 */
import { ValidationError } from '../errors.js';

const APP_ID = /^[a-z][a-z0-9_-]{0,47}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export const REGISTRY_SCHEMA = 'hotmesh_registry';
const RESERVED: readonly string[] = ['public', 'information_schema', REGISTRY_SCHEMA];

export function validateAppId(appId: unknown): string {
  if (typeof appId !== 'string') throw new ValidationError('appId', `must be a string (got ${typeof appId})`);
  if (!APP_ID.test(appId)) {
    throw new ValidationError('appId', 'must be 1-48 characters of lower-case letters, digits, "_" or "-", starting with a letter');
  }
  const schema = appId.replaceAll('-', '_');
  if (RESERVED.includes(schema) || schema.startsWith('pg_')) {
    throw new ValidationError('appId', `'${appId}' is reserved (pg_*, public, information_schema, ${REGISTRY_SCHEMA})`);
  }
  return appId;
}

export function schemaForApp(appId: string): string {
  return validateAppId(appId).replaceAll('-', '_');
}

/** Validate and double-quote an identifier. Throws rather than escaping anything unusual. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new ValidationError('identifier', `'${name}' is not a plain lower-case SQL identifier`);
  return `"${name}"`;
}

/** The NOTIFY channel of an app (lower-case, so PGlite and Postgres agree on its folding). */
export function channelForSchema(schema: string): string {
  return `hotmesh_${schema}`;
}

/** A validated identifier-shaped name as a SQL string literal (the NOTIFY channel inside functions). */
export function quoteNameLiteral(name: string): string {
  if (!IDENTIFIER.test(name)) throw new ValidationError('identifier', `'${name}' is not a plain lower-case SQL identifier`);
  return `'${name}'`;
}

/** Fill the `{{schema}}` and `{{channel}}` placeholders of a migration or named query. */
export function bindSchema(sqlText: string, schema: string): string {
  return sqlText
    .replaceAll('{{schema}}', quoteIdentifier(schema))
    .replaceAll('{{channel}}', quoteNameLiteral(channelForSchema(schema)));
}

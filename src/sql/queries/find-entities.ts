/**
 * Entity.find's query, assembled per call, unlike the named queries beside it: one condition per
 * field, with the field name written into the SQL text as a literal. PostgreSQL matches an
 * expression index only against the same expression in the query, so `context ->> 'age'` can use
 * the index `Entity.createIndex` builds and `context ->> $2` (or a field read from a recordset, as
 * the former fixed query did) never can: 200k rows were a parallel seq scan and an external sort
 * (337 ms). A field name reaches the SQL only after matching FIELD_NAME (letters, digits, `_`),
 * which makes it inert inside quotes; every value stays a bound `$n::jsonb` parameter.
 *
 * Semantics (as before): text comparison of `context ->> field` with the value's text; with a
 * JSON number and `> >= < <=`, a numeric comparison that skips stored values that are not numbers.
 */
import { ValidationError } from '../../errors.js';

/** Field (and entity) names allowed as SQL literals: the shape `Entity.createIndex` accepts. */
export const FIELD_NAME = /^[A-Za-z0-9_]{1,63}$/;

export type EntityOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'IN';

export interface EntityCondition {
  field: string;
  op: EntityOp;
  /** The value as JSON text (validated by the caller), or null for SQL NULL (never matches). */
  json: string | null;
}

// Stored text that casts to numeric. Written without `\s` or `\.` (which a template literal, or a
// server with standard_conforming_strings off, turns into `s` and `.`: "2024-01" then passed and the
// cast failed with 22P02), with ASCII whitespace only (what numeric input skips), and with bounded
// digits and exponent so that no matching text overflows numeric (1e-99999 would).
const NUMERIC_TEXT = String.raw`'^[ \t\n\r\f]*-?[0-9]{1,255}([.][0-9]{1,255})?([eE][-+]?[0-9]{1,4})?[ \t\n\r\f]*$'`;
// The text `->>` gives for a jsonb number: numeric output, never an exponent.
const JSONB_NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * JSON text of the one non-string jsonb value whose `->>` text would be `text`: null when only a
 * string can have that text, undefined when it might be an object or array (no shortcut then).
 */
function scalarWithText(text: string): string | null | undefined {
  if (text === 'true' || text === 'false') return text;
  if (JSONB_NUMBER_TEXT.test(text)) return text.length <= 1000 ? text : undefined;
  if (text.startsWith('{') || text.startsWith('[')) return undefined;
  return null;
}

/**
 * For `=`: containment tests a GIN index on `(context -> field)` (createIndex's default) can serve.
 * They are implied by the text equality, never a replacement for it: a stored value whose text
 * equals the value's text is either that text as a JSON string or the one scalar with that text.
 */
function containment(target: string, valueParam: string, json: string, bind: (v: unknown) => string): string | undefined {
  const scalar = json.startsWith('"') ? scalarWithText(JSON.parse(json) as string) : /^[-0-9tf]/.test(json) ? json : undefined;
  if (scalar === undefined) return undefined;
  const asString = `${target} @> to_jsonb(${valueParam}::jsonb #>> '{}')`;
  return scalar === null ? asString : `(${asString} OR ${target} @> ${bind(scalar)}::jsonb)`;
}

function condition(c: EntityCondition, bind: (v: unknown) => string): string {
  if (!FIELD_NAME.test(c.field)) throw new ValidationError('condition field', `must match ${FIELD_NAME}`);
  const field = `'${c.field}'`; // inert: letters, digits and _ only
  const text = `(j.context ->> ${field})`; // the expression of a btree index from createIndex
  const p = bind(c.json);
  const valueText = `(${p}::jsonb #>> '{}')`;
  switch (c.op) {
    case '=': {
      const gin = c.json === null ? undefined : containment(`(j.context -> ${field})`, p, c.json, bind);
      return gin ? `${text} = ${valueText} AND ${gin}` : `${text} = ${valueText}`;
    }
    case '!=':
      return `${text} IS DISTINCT FROM ${valueText}`;
    case '>':
    case '>=':
    case '<':
    case '<=':
      if (c.json !== null && /^-?[0-9]/.test(c.json)) {
        // CASE guards the cast: a stored value that is not a number compares as NULL (no match)
        const numeric =
          `(CASE WHEN jsonb_typeof(j.context -> ${field}) = 'number' THEN ${text}::numeric ` +
          `WHEN ${text} ~ ${NUMERIC_TEXT} THEN ${text}::numeric END)`;
        return `${numeric} ${c.op} ${valueText}::numeric`;
      }
      return `${text} ${c.op} ${valueText}`;
    case 'LIKE':
      return `${text} LIKE ${valueText}`;
    case 'IN':
      return `${text} = ANY (ARRAY(SELECT jsonb_array_elements_text(${p}::jsonb)))`;
  }
}

/**
 * Jobs of `entity` matching every condition, newest first. `entity` is a literal too when it has
 * FIELD_NAME's shape, so a partial index `WHERE entity = 'user'` is provably usable under any plan.
 */
export function findEntitiesQuery(
  sqlSchema: string,
  entity: string,
  conditions: EntityCondition[],
  limit: number,
  offset: number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [limit, offset];
  const bind = (v: unknown) => `$${params.push(v)}`;
  const where = [FIELD_NAME.test(entity) ? `j.entity = '${entity}'` : `j.entity = ${bind(entity)}`];
  for (const c of conditions) where.push(condition(c, bind));
  const sql = /* sql */ `
SELECT j.id, j.context, j.status
  FROM ${sqlSchema}.jobs j
 WHERE ${where.join('\n   AND ')}
 ORDER BY j.created_at DESC, j.id
 LIMIT $1 OFFSET $2`;
  return { sql, params };
}

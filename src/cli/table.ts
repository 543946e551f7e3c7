/**
 * The readable output: a table with a header row and columns padded to their widest cell, and
 * key/value blocks. Cells are single lines (newlines shown as spaces) and cut at a maximum width,
 * so one long result never wraps the whole table; `--json` gives the values in full.
 */

const MAX_CELL = 60;

/** One line, at most `max` characters (an ellipsis marks a cut). */
export function cell(value: unknown, max = MAX_CELL): string {
  let text: string;
  if (value === null || value === undefined) text = '-';
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value) ?? String(value);
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` (UTC), the width a table can afford. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** Rows under a header; an empty list says so instead of printing a bare header. */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) => r.map((v) => cell(v)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(entries: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v, 200)}`).join('\n');
}

/** A JSON value in full, indented (context values, results). */
export function prettyJson(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
}

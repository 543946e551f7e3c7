/**
 * Which of an app's tables a statement touches: the tables its text names, and those of the app's
 * SQL functions it calls, transitively. Read from the statement's text and the functions' bodies as
 * the database holds them (pg_proc), so it follows every migration that redefined a function.
 * Used by the distribution test (test/distribution-keys.test.ts) and docs/scaling.md.
 */

/** The app's SQL functions: name → body (prosrc). */
export type FunctionBodies = ReadonlyMap<string, string>;

const QUALIFIED = /\{\{schema\}\}\.([a-z_][a-z0-9_]*)|"[a-z0-9_]+"\.([a-z_][a-z0-9_]*)/g;

/** Names qualified by the app's schema in `sql` (`{{schema}}.x` in a query, `"app".x` in a body). */
function qualifiedNames(sql: string): string[] {
  return [...sql.matchAll(QUALIFIED)].map((m) => (m[1] ?? m[2])!);
}

export interface StatementReach {
  tables: Set<string>;
  functions: Set<string>;
}

/** Tables and functions `sql` reaches; `tables` are the app's table names. */
export function reach(sql: string, bodies: FunctionBodies, tables: ReadonlySet<string>): StatementReach {
  const out: StatementReach = { tables: new Set(), functions: new Set() };
  const visit = (text: string) => {
    for (const name of qualifiedNames(text)) {
      if (tables.has(name)) out.tables.add(name);
      else if (bodies.has(name) && !out.functions.has(name)) {
        out.functions.add(name);
        visit(bodies.get(name)!);
      }
    }
  };
  visit(sql);
  return out;
}

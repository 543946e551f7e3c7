/**
 * What the suite needs of a database session: a pg.Pool on PostgreSQL, the engine's driver on PGlite
 * (one process owns a PGlite directory, so the suite reads it through the engine that opened it).
 */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

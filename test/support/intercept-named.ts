/**
 * A test's hook on every prepared statement the engine sends (`driver.named`): to count them, hold
 * one back, change its parameters, or fail it, as a fault the test needs. The statement is matched
 * by its text (`engine.bind(query).text`). Returns the function that puts the driver back.
 */
import type { Engine } from '../../src/engine/engine.js';
import type { QueryResult, StatementOptions } from '../../src/storage/driver.js';

/** Sends a statement as the driver would have (the next step of an interception). */
export type SendNamed = (name: string, sql: string, params: unknown[], options?: StatementOptions) => Promise<QueryResult<any>>;

/** What the test does with each statement: `send` passes it (or another one) on. */
export type AroundNamed = (send: SendNamed, name: string, sql: string, params: unknown[], options?: StatementOptions) => Promise<QueryResult<any>>;

export function interceptNamed(engine: Engine, around: AroundNamed): () => void {
  const driver = engine.driver;
  const before = driver.named;
  const send: SendNamed = (name, sql, params, options) => before.call(driver, name, sql, params, options);
  driver.named = ((name: string, sql: string, params: unknown[], options?: StatementOptions) =>
    around(send, name, sql, params, options)) as Engine['driver']['named'];
  return () => {
    driver.named = before;
  };
}

/**
 * A statement PostgreSQL rolled back because of other transactions, not because of what it asked: a
 * deadlock victim (40P01) or a serialization failure (40001). The same statement usually succeeds
 * on a second try, once the other transaction has committed; PostgreSQL's documentation says to
 * retry these.
 */
export function isConflictError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Tries of a statement refused by a conflict, the first one included. */
export const CONFLICT_TRIES = 5;

/**
 * Run `attempt` (one statement, or one transaction: it must have no effect when it fails) again
 * when PostgreSQL refused it for a conflict, up to CONFLICT_TRIES in all, after a short random pause
 * (so two victims do not meet again in step). Other errors, and the last conflict, are thrown.
 */
export async function retryConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflictError(err) || tried >= CONFLICT_TRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * tried));
    }
  }
}

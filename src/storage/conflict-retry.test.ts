import { describe, expect, it } from 'vitest';
import { CONFLICT_TRIES, isConflictError, retryConflicts } from './conflict-retry.js';

const refused = (code: string) => Object.assign(new Error(`refused ${code}`), { code });

describe('retryConflicts', () => {
  it('tries again after a deadlock or a serialization failure, and returns the answer', async () => {
    for (const code of ['40P01', '40001']) {
      let tries = 0;
      const answer = await retryConflicts(async () => {
        tries++;
        if (tries < 3) throw refused(code);
        return 'done';
      });
      expect(answer).toBe('done');
      expect(tries).toBe(3);
    }
  });

  it('throws any other error at once', async () => {
    let tries = 0;
    const err = refused('23505');
    await expect(
      retryConflicts(async () => {
        tries++;
        throw err;
      }),
    ).rejects.toBe(err);
    expect(tries).toBe(1);
  });

  it('gives up after CONFLICT_TRIES, with the last conflict', async () => {
    let tries = 0;
    await expect(
      retryConflicts(async () => {
        tries++;
        throw refused('40P01');
      }),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(tries).toBe(CONFLICT_TRIES);
  });

  it('knows the conflicts by SQLSTATE only', () => {
    expect(isConflictError(refused('40P01'))).toBe(true);
    expect(isConflictError(refused('40001'))).toBe(true);
    expect(isConflictError(refused('57014'))).toBe(false);
    expect(isConflictError(new Error('deadlock detected'))).toBe(false);
    expect(isConflictError(null)).toBe(false);
  });
});

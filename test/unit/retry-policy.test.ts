/**
 * The retry policy's arithmetic (src/worker/retry-policy.ts), without a database: the defaults, which
 * level wins, and the delay before each retry. test/retry-policy.test.ts counts and times the same
 * rules where they run.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { RETRY_DEFAULTS, resolveRetry, retryDelaySeconds } from '../../src/worker/retry-policy.js';

describe('resolveRetry', () => {
  it('defaults to 3 retries, coefficient 10, at most 120 s apart', () => {
    expect(RETRY_DEFAULTS).toEqual({ maximumAttempts: 3, backoffCoefficient: 10, maximumInterval: '120s' });
    expect(resolveRetry()).toEqual({ maximumAttempts: 3, backoffCoefficient: 10, maximumIntervalSeconds: 120 });
    expect(resolveRetry(undefined, {})).toEqual({ maximumAttempts: 3, backoffCoefficient: 10, maximumIntervalSeconds: 120 });
  });

  it('takes each field from the first level that sets it (activity, then workflow, then worker)', () => {
    const activity = { maximumAttempts: 5 };
    const workflow = { maximumAttempts: 7, backoffCoefficient: 2 };
    const worker = { maximumAttempts: 9, backoffCoefficient: 4, maximumInterval: '30s' };
    expect(resolveRetry(activity, workflow, worker)).toEqual({ maximumAttempts: 5, backoffCoefficient: 2, maximumIntervalSeconds: 30 });
    expect(resolveRetry(undefined, workflow, worker)).toEqual({ maximumAttempts: 7, backoffCoefficient: 2, maximumIntervalSeconds: 30 });
    expect(resolveRetry({}, {}, worker)).toEqual({ maximumAttempts: 9, backoffCoefficient: 4, maximumIntervalSeconds: 30 });
  });

  it('lets 0 fall through to the next level, as upstream (`||`)', () => {
    expect(resolveRetry({ maximumAttempts: 0, backoffCoefficient: 0 }, { maximumAttempts: 2 })).toEqual({
      maximumAttempts: 2,
      backoffCoefficient: 10,
      maximumIntervalSeconds: 120,
    });
  });

  it('reads maximumInterval as a duration string or a number of seconds', () => {
    expect(resolveRetry({ maximumInterval: '4s' }).maximumIntervalSeconds).toBe(4);
    expect(resolveRetry({ maximumInterval: '2 minutes' }).maximumIntervalSeconds).toBe(120);
    expect(resolveRetry({ maximumInterval: 7 }).maximumIntervalSeconds).toBe(7);
    expect(resolveRetry({ maximumInterval: 0.5 }).maximumIntervalSeconds).toBe(0.5);
    expect(() => resolveRetry({ maximumInterval: 'soon' })).toThrow(ValidationError);
    expect(() => resolveRetry({ maximumInterval: 'soon' })).toThrow(/maximumInterval/);
  });

  it('turns numeric strings into numbers', () => {
    expect(resolveRetry({ maximumAttempts: '4' as unknown as number, backoffCoefficient: '3' as unknown as number })).toEqual({
      maximumAttempts: 4,
      backoffCoefficient: 3,
      maximumIntervalSeconds: 120,
    });
  });
});

describe('retryDelaySeconds', () => {
  it('waits min(coefficient^(n-1), maximumInterval) seconds before retry n', () => {
    const policy = { maximumAttempts: 5, backoffCoefficient: 3, maximumIntervalSeconds: 20 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, policy))).toEqual([1, 3, 9, 20, 20]);
  });

  it('with the defaults: 1, 10, 100, then the 120 s cap', () => {
    const policy = resolveRetry();
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, policy))).toEqual([1, 10, 100, 120]);
  });

  it('a cap below one second caps the first retry too', () => {
    expect(retryDelaySeconds(1, { maximumAttempts: 1, backoffCoefficient: 2, maximumIntervalSeconds: 0.25 })).toBe(0.25);
  });
});

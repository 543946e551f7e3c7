/**
 * The failure codec (src/failure-codec.ts): what is stored for anything thrown, and what each call
 * site gets back when a stored failure is revived.
 */
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ContextTypeError,
  DuplicateJobError,
  MemFlowFatalError,
  MemFlowMaxedError,
  MemFlowRetryError,
  MemFlowTimeoutError,
  PayloadTooLargeError,
  type StoredFailure,
  ValidationError,
  WaitTimeoutError,
} from '../../src/errors.js';
import { failureCause, type FailureSite, interruptFailure, isTerminalCode, refusedStatementFailure, reviveFailure, toFailure, withCode } from '../../src/failure-codec.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SITES: FailureSite[] = ['activity', 'search', 'context', 'child', 'start', 'hook', 'interrupt'];

describe('isTerminalCode', () => {
  it('is true for 596, 597 and 598 only', () => {
    expect([596, 597, 598].map(isTerminalCode)).toEqual([true, true, true]);
    expect([595, 599, 410, 593, 0, undefined].map(isTerminalCode)).toEqual([false, false, false, false, false, false]);
  });
});

describe('toFailure', () => {
  it('stores a thrown non-Error as a retryable Error with its text', () => {
    const f = toFailure('boom');
    expect(f).toEqual({ type: 'Error', name: 'Error', code: 599, message: 'boom', retryable: true, timestamp: expect.stringMatching(ISO) });
    expect(toFailure(42).message).toBe('42');
    expect(toFailure(undefined).message).toBe('undefined');
    expect(toFailure('a\u0000b').message).toBe('a\\u0000b');
  });

  it('stores a plain Error by its name, with code 599 and its stack', () => {
    const err = new TypeError('bad card');
    const f = toFailure(err);
    expect(f).toEqual({
      message: 'bad card',
      name: 'TypeError',
      type: 'TypeError',
      code: 599,
      stack: err.stack,
      retryable: true,
      timestamp: expect.stringMatching(ISO),
    });
    expect('details' in f).toBe(false);
  });

  it('keeps a numeric code; a terminal code is not retryable; a non-numeric code is 599', () => {
    expect(toFailure(Object.assign(new Error('x'), { code: 598 }))).toMatchObject({ code: 598, retryable: false });
    expect(toFailure(Object.assign(new Error('x'), { code: 597 }))).toMatchObject({ code: 597, retryable: false });
    expect(toFailure(Object.assign(new Error('x'), { code: 596 }))).toMatchObject({ code: 596, retryable: false });
    expect(toFailure(Object.assign(new Error('x'), { code: 410 }))).toMatchObject({ code: 410, retryable: true });
    expect(toFailure(Object.assign(new Error('x'), { code: '23505' }))).toMatchObject({ code: 599, retryable: true });
  });

  it('stores an engine error by its kind, with its details; bad input is not retryable', () => {
    const v = toFailure(new ValidationError('path', 'must not be empty'));
    expect(v).toMatchObject({ type: 'ValidationError', name: 'ValidationError', code: 599, retryable: false, details: { field: 'path', rule: 'must not be empty' } });
    const fatal = toFailure(new MemFlowFatalError('stop'));
    expect(fatal).toMatchObject({ type: 'MemFlowFatalError', code: 598, retryable: false, message: 'stop' });
    expect('details' in fatal).toBe(false);
    expect(toFailure(new DuplicateJobError('j1'))).toMatchObject({ type: 'DuplicateJobError', retryable: true, details: { jobId: 'j1' } });
  });

  it('makes message, name and stack storable as jsonb: NUL as the text \\u0000, a lone surrogate as U+FFFD', () => {
    const err = new Error('a\u0000b\ud800c\udc00d');
    err.name = 'N\u0000ame\udbff';
    err.stack = 'stack\u0000\ud800';
    const f = toFailure(err);
    expect(f.message).toBe('a\\u0000b\ufffdc\ufffdd');
    expect(f.name).toBe('N\\u0000ame\ufffd');
    expect(f.type).toBe('N\\u0000ame\ufffd');
    expect(f.stack).toBe('stack\\u0000\ufffd');
    expect(toFailure(new Error('pair \ud83d\ude00 kept')).message).toBe('pair \ud83d\ude00 kept');
    const noStack = new Error('x');
    noStack.stack = undefined;
    expect(toFailure(noStack).stack).toBeUndefined();
  });
});

describe('withCode', () => {
  const base: StoredFailure = { message: 'm', type: 'Error', code: 599, retryable: true };
  it('sets the code, and retryable false for a terminal one', () => {
    expect(withCode(base, 598)).toEqual({ message: 'm', type: 'Error', code: 598, retryable: false });
    expect(withCode(base, 410)).toEqual({ message: 'm', type: 'Error', code: 410, retryable: true });
  });
  it('never makes a non-retryable failure retryable', () => {
    expect(withCode({ ...base, retryable: false }, 599).retryable).toBe(false);
    expect(withCode({ message: 'm' }, 599).retryable).toBe(true);
  });
  it('replaces the type when given one', () => {
    expect(withCode(base, 597, 'MemFlowMaxedError').type).toBe('MemFlowMaxedError');
    expect(withCode(base, 597, '').type).toBe('Error');
  });
});

describe('reviveFailure', () => {
  const stack = 'Error: original\n    at somewhere';

  it('revives 597 as MemFlowMaxedError and 596 as MemFlowTimeoutError at every site', () => {
    for (const site of SITES) {
      const maxed = reviveFailure({ message: 'out', code: 597, stack }, site);
      expect(maxed, site).toBeInstanceOf(MemFlowMaxedError);
      expect(maxed.message).toBe('out');
      expect(maxed.stack).toBe(stack);
      expect(reviveFailure({ message: 'late', code: 596, stack }, site), site).toBeInstanceOf(MemFlowTimeoutError);
    }
  });

  it('revives 598 as MemFlowFatalError where the site promises MemFlow errors, as a plain Error elsewhere', () => {
    for (const site of ['activity', 'search', 'context', 'child'] as const) {
      const e = reviveFailure({ message: 'stop', code: 598, stack }, site);
      expect(e, site).toBeInstanceOf(MemFlowFatalError);
      expect(e.stack).toBe(stack);
    }
    for (const site of ['start', 'hook', 'interrupt'] as const) {
      const e = reviveFailure({ message: 'stop', code: 598, type: 'MemFlowFatalError', stack }, site);
      expect(e, site).not.toBeInstanceOf(MemFlowFatalError);
      expect(e).toMatchObject({ message: 'stop', name: 'MemFlowFatalError', code: 598, stack });
    }
    // the failure of a hook that failed for good, thrown by its execHook: typed for the terminal codes
    const fatal = reviveFailure({ message: 'stop', code: 598, type: 'MemFlowFatalError', stack }, 'hookFailure');
    expect(fatal).toBeInstanceOf(MemFlowFatalError);
    expect(fatal).toMatchObject({ message: 'stop', code: 598, stack });
    expect(reviveFailure({ message: 'tried', code: 597 }, 'hookFailure')).toBeInstanceOf(MemFlowMaxedError);
    const interrupted = reviveFailure({ message: 'job [x] interrupted', code: 410 }, 'hookFailure');
    expect(interrupted.constructor).toBe(Error);
    expect(interrupted).toMatchObject({ code: 410, message: 'job [x] interrupted' });
  });

  it('falls back per site for any other code: fatal for activity/search/context, retry for child, plain otherwise', () => {
    const failure: StoredFailure = { message: 'flaky', code: 599, type: 'TypeError', name: 'TypeErrorName', stack };
    for (const site of ['activity', 'search', 'context'] as const) expect(reviveFailure(failure, site), site).toBeInstanceOf(MemFlowFatalError);
    const child = reviveFailure(failure, 'child');
    expect(child).toBeInstanceOf(MemFlowRetryError);
    expect(child).toMatchObject({ message: 'flaky', stack });
    for (const site of ['start', 'hook', 'interrupt'] as const) {
      const e = reviveFailure(failure, site);
      expect(e.constructor, site).toBe(Error);
      expect(e).toMatchObject({ message: 'flaky', name: 'TypeError', code: 599, stack });
    }
    // the name falls back to `name`, then 'Error'
    expect(reviveFailure({ message: 'x', name: 'RangeError' }, 'hook').name).toBe('RangeError');
    expect(reviveFailure({ message: 'x' }, 'hook').name).toBe('Error');
  });

  it('rebuilds typed engine errors from their details, only where the site promises them', () => {
    const clash: StoredFailure = { message: 'stored message', type: 'ContextTypeError', code: 598, stack, details: { op: 'increment', path: 'a.b', found: 'string' } };
    const revived = reviveFailure(clash, 'context');
    expect(revived).toBeInstanceOf(ContextTypeError);
    expect(revived).toMatchObject({ op: 'increment', path: 'a.b', found: 'string', message: 'stored message', stack });
    expect(reviveFailure(clash, 'activity')).toBeInstanceOf(MemFlowFatalError); // not promised there

    const big: StoredFailure = { message: 'too big', type: 'PayloadTooLargeError', details: { field: 'value', bytes: '10', limit: 5 } };
    const tooLarge = reviveFailure(big, 'context');
    expect(tooLarge).toBeInstanceOf(PayloadTooLargeError);
    expect(tooLarge).toMatchObject({ field: 'value', bytes: 10, limit: 5, message: 'too big' });

    const dup: StoredFailure = { message: 'Duplicate job: c1', type: 'DuplicateJobError', details: { jobId: 'c1' } };
    for (const site of ['child', 'start'] as const) expect(reviveFailure(dup, site), site).toMatchObject({ jobId: 'c1' });
    expect(reviveFailure(dup, 'start')).toBeInstanceOf(DuplicateJobError);
    expect(reviveFailure(dup, 'hook')).not.toBeInstanceOf(DuplicateJobError);

    // without details, or with an unknown or inherited type: by code
    expect(reviveFailure({ ...clash, details: undefined }, 'context')).toBeInstanceOf(MemFlowFatalError);
    expect(reviveFailure({ message: 'x', type: 'toString', details: {} }, 'context')).toBeInstanceOf(MemFlowFatalError);
    const keepsOwnStack = reviveFailure({ ...dup, stack: undefined }, 'start');
    expect(keepsOwnStack.stack).toContain('DuplicateJobError');
  });
});

describe('interruptFailure', () => {
  it('defaults: the message names the job, code 410, thrown', () => {
    expect(interruptFailure('j1', {})).toEqual({ message: 'job [j1] interrupted', code: 410, stack: undefined, type: 'JobInterrupted', throw: true });
  });
  it('takes reason, code, stack and throw: false', () => {
    expect(interruptFailure('j1', { reason: 'stop now', code: 499, stack: 's', throw: false })).toEqual({
      message: 'stop now',
      code: 499,
      stack: 's',
      type: 'JobInterrupted',
      throw: false,
    });
    expect(interruptFailure('j1', { throw: true }).throw).toBe(true);
  });
  it('refuses options that are not an object, a bad expire and a non-integer code', () => {
    expect(() => interruptFailure('j1', 'now' as never)).toThrow(/interrupt options: must be an object/);
    expect(() => interruptFailure('j1', null as never)).toThrow(ValidationError);
    expect(() => interruptFailure('j1', { expire: -1 })).toThrow(/expire/);
    expect(() => interruptFailure('j1', { code: 1.5 })).toThrow(/code: must be an integer/);
    expect(interruptFailure('j1', { expire: 0, code: 7 }).code).toBe(7);
  });
});

describe('failure codec: cancellation, wait deadlines, refused statements, storable details', () => {
  const cancelled: StoredFailure = { type: 'CancelledError', message: 'stop it', code: 499, details: { jobId: 'j-1', reason: 'operator' } };

  it('revives a CancelledError at every site that waits, and only there', () => {
    for (const site of ['activity', 'child', 'wait', 'sleep'] as FailureSite[]) {
      const err = reviveFailure(cancelled, site);
      expect(err, site).toBeInstanceOf(CancelledError);
      expect(err).toMatchObject({ jobId: 'j-1', reason: 'operator', message: 'stop it' });
    }
    for (const site of ['context', 'search', 'start', 'hook', 'interrupt'] as FailureSite[]) {
      expect(reviveFailure(cancelled, site), site).not.toBeInstanceOf(CancelledError);
    }
    expect(reviveFailure({ ...cancelled, details: { jobId: 'j-1', reason: 7 } }, 'wait')).toMatchObject({ reason: null });
  });

  it('revives a WaitTimeoutError at a wait only, from its details', () => {
    const timedOut: StoredFailure = { type: 'WaitTimeoutError', message: 'no go', code: 596, details: { signalId: 'go', timeoutMs: 250 } };
    expect(reviveFailure(timedOut, 'wait')).toBeInstanceOf(WaitTimeoutError);
    expect(reviveFailure(timedOut, 'wait')).toMatchObject({ signalId: 'go', timeoutMs: 250, message: 'no go' });
    expect(reviveFailure(timedOut, 'activity')).not.toBeInstanceOf(WaitTimeoutError);
  });

  it('names a refused closing statement, its SQLSTATE and detail, as a fatal failure', () => {
    const f = refusedStatementFailure('finishThread', Object.assign(new Error('bad jsonb'), { code: '22P05', detail: 'NUL here' }));
    expect(f).toMatchObject({ code: 598, type: 'MemFlowFatalError', message: 'finishThread was refused by the database, SQLSTATE 22P05: bad jsonb (NUL here)' });
    expect(refusedStatementFailure('parkThread', Object.assign(new Error('x'), { code: '22023' })).message).toBe('parkThread was refused by the database, SQLSTATE 22023: x');
  });

  it('makes details storable at every depth: strings, arrays and nested objects, keys included', () => {
    const err = Object.assign(new ValidationError('f', 'r'), {});
    Object.defineProperty(err, 'details', { get: () => ({ 'k\u0000': ['a\u0000', { deep: 'b\u0000', n: 1 }], plain: 'c\u0000', n: null }) });
    const stored = toFailure(err);
    expect(stored.details).toEqual({ 'k\\u0000': ['a\\u0000', { deep: 'b\\u0000', n: 1 }], plain: 'c\\u0000', n: null });
  });
});

describe('failureCause: the error a job failed with, rebuilt for WorkflowFailedError.cause', () => {
  it.each([
    ['a ValidationError, with its field', new ValidationError('retryPolicy.maximumInterval', 'not a duration'), ValidationError],
    ['a MemFlowFatalError', new MemFlowFatalError('card declined'), MemFlowFatalError],
    ['a ContextTypeError', new ContextTypeError('increment', 'a.b', 'string'), ContextTypeError],
    ['a TypeError', new TypeError('cannot read'), TypeError],
  ])('%s keeps its class, message, stack and stored fields', (_label, thrown, Class) => {
    const stored = withCode(toFailure(thrown), 597, 'MemFlowMaxedError');
    const cause = failureCause(JSON.parse(JSON.stringify(stored)) as StoredFailure);
    expect(cause).toBeInstanceOf(Class);
    expect(cause.message).toBe(thrown.message);
    expect(cause.stack).toBe(thrown.stack);
    if (thrown instanceof ValidationError) expect((cause as ValidationError).field).toBe(thrown.field);
    // a MemFlow class keeps its own code and type; any other gets the stored ones
    if (cause instanceof MemFlowFatalError) expect(cause).toMatchObject({ type: 'MemFlowFatalError', code: 598 });
    else expect(cause).toMatchObject({ type: 'MemFlowMaxedError', code: 597 });
  });

  it('an unknown class comes back as an Error of that name, with every stored field', () => {
    const cause = failureCause({ message: 'm', name: 'PaymentDeclined', type: 'PaymentDeclined', code: 599, details: { card: 'x' }, retryable: true });
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe('PaymentDeclined');
    expect(cause).toMatchObject({ message: 'm', code: 599, details: { card: 'x' }, retryable: true });
  });

  it('a typed error stored without its details (an older build) is an Error of its name, not a class with made-up fields', () => {
    for (const name of ['DuplicateJobError', 'ValidationError', 'ContextTypeError']) {
      const cause = failureCause({ message: 'm', name, type: name, details: undefined });
      expect(cause.constructor, name).toBe(Error);
      expect(cause.name).toBe(name);
      expect(cause.message).toBe('m');
    }
  });
});

/**
 * A durable call: what workflow and hook code asks the engine to do. Each one takes the thread's next
 * seq and is identified by (kind, name); replay compares both with the journal.
 */

export type CallKind =
  | 'activity' // proxied activity; name = activity name
  | 'sleep' // durable timer; name = the duration as written
  | 'wait' // waitFor(signalId); name = signal id
  | 'signal' // signal(signalId, data); name = signal id
  | 'hook' // start a hook thread; name = hook workflow name
  | 'child' // execChild: start a child job and wait for its result; name = child workflow name
  | 'start' // startChild: start a child job, return its id; name = child workflow name
  | 'context' // a context op; name = op
  | 'search' // a search-field op; name = op
  | 'interrupt' // interrupt another job; name = its id
  | 'emit' // emit/trace, once; name = 'emit' | 'trace'
  | 'patch'; // patched(id): a marker that this run took the new code path; name = the patch id

export interface CallRequest {
  kind: CallKind;
  name: string;
  /** Kind-specific input (activity args, sleep milliseconds, signal data, ...). Not journaled. */
  input?: unknown;
}

/** A call as issued in one run. */
export interface IssuedCall extends CallRequest {
  seq: number;
}

export function describeCall(kind: string, name: string): string {
  return `${kind}('${name}')`;
}

/**
 * The RunPort of one claimed thread task: how each kind of durable call executes on new ground, as
 * fenced SQL (every statement names the task lease it holds). One statement per call: the effect and
 * its journal row commit together.
 */
import { contextError } from '../context/context-op.js';
import type { ContextOpRequest } from '../context/context-op.js';
import { CONTEXT_MAX_BYTES } from '../context/context-op.js';
import type { Engine } from '../engine/engine.js';
import { DuplicateJobError, ErrorCode, isTerminalCode, JobNotFoundError, LeaseLostError, type SerializedError, serializeError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import type { IssuedCall } from '../replay/durable-call.js';
import type { CallOutcome, JournalEntry } from '../replay/journal-entry.js';
import type { DueTimer, RunPort } from '../replay/thread-run.js';
import type { ExecutionInfo } from '../workflow/execution.js';
import type { ActivityCallInput } from '../workflow/proxy-activities.js';
import type { ChildInput } from '../workflow/children.js';
import type { HookInput, HookSignalArg } from '../workflow/hooks.js';
import { type InterruptInput, interruptError } from '../workflow/interrupt.js';
import type { SearchInput } from '../workflow/search.js';
import { recordSpan } from '../workflow/telemetry.js';
import { publishPayloads } from './publish.js';
import type { SignalInput } from '../workflow/signals.js';
import type { SleepInput } from '../workflow/timers.js';
import { isDeterministicDbError } from '../storage/transient-error.js';
import { runActivityAttempt } from './activity-runner.js';
import type { ActivityPayload } from './activity-task.js';
import { findActivity } from '../workflow/activity-registry.js';
import { resolveRetry, retryDelaySeconds, type RetryFields } from './retry-policy.js';

export interface HeldTask {
  id: string;
  claims: number;
  jobId: string;
  thread: string;
}

export class ThreadPort implements RunPort {
  private readonly claimedAt = performance.now();

  constructor(
    private readonly engine: Engine,
    private readonly task: HeldTask,
    private readonly info: ExecutionInfo,
    private readonly dbNowAtClaim: number,
    private readonly workerRetry: RetryFields | undefined,
    private readonly threadArgs: unknown[] = [],
  ) {}

  now(): number {
    return this.dbNowAtClaim + (performance.now() - this.claimedAt);
  }

  private fence(): unknown[] {
    return [this.task.id, this.task.claims, this.task.jobId, this.task.thread];
  }

  async execute(call: IssuedCall, batch: number, previous: JournalEntry | undefined): Promise<CallOutcome> {
    try {
      return await this.executeKind(call, batch, previous);
    } catch (err) {
      if (!isDeterministicDbError(err)) throw err; // lease lost, database unreachable: abort the run
      const error = { ...serializeError(err), code: ErrorCode.FATAL };
      return this.journal(call, batch, { type: 'failed', error });
    }
  }

  private async executeKind(call: IssuedCall, batch: number, previous: JournalEntry | undefined): Promise<CallOutcome> {
    switch (call.kind) {
      case 'activity':
        return this.activity(call, batch, previous);
      case 'sleep':
        return { type: 'blocked', dueAt: this.now() + (call.input as SleepInput).ms };
      case 'wait':
        return this.waitFor(call, batch);
      case 'signal':
        return this.signal(call, batch);
      case 'context':
        return this.contextOp(call, batch);
      case 'hook':
        return this.startHook(call, batch);
      case 'child':
      case 'start':
        return this.startChild(call, batch);
      case 'search':
        return this.searchOp(call, batch);
      case 'emit':
        return this.emit(call, batch);
      case 'interrupt':
        return this.interrupt(call, batch);
      case 'patch':
        return this.journal(call, batch, { type: 'done', value: true });
      default:
        return this.journal(call, batch, {
          type: 'failed',
          error: serializeError(new Error(`MemFlow.workflow call '${call.kind}' is not supported by this engine yet`)),
        });
    }
  }

  /** Journal a result; zero rows back means another worker holds the task now. */
  private async journal(call: IssuedCall, batch: number, outcome: CallOutcome, attempt = 1): Promise<CallOutcome> {
    if (outcome.type === 'blocked') return outcome;
    const result = outcome.type === 'done' ? encodeJson('result', outcome.value) : JSON.stringify(outcome.error);
    const res = await this.engine.query('appendResult', [
      ...this.fence(), call.seq, call.kind, call.name, outcome.type === 'done' ? 'done' : 'failed', result, attempt, batch,
    ]);
    if (res.rowCount === 0) throw new LeaseLostError(this.task.id);
    return outcome;
  }

  private async activity(call: IssuedCall, batch: number, previous: JournalEntry | undefined): Promise<CallOutcome> {
    const input = call.input as ActivityCallInput;
    // Inline when routed by default and this process has the function: one statement per step.
    // An explicit taskQueue is a placement decision, so the call becomes a task for the activity
    // workers of `<taskQueue>-activity` (by default, `<workflowTopic>-activity`), wherever they run.
    const topic = `${input.taskQueue ?? this.info.workflowTopic}-activity`;
    if (input.taskQueue !== undefined || !findActivity(call.name)) return this.scheduleRemote(call, topic, input);
    const attempt = (previous?.status === 'retry' ? previous.attempt : 0) + 1;
    const result = await runActivityAttempt(call.name, input.args, {
      idempotencyKey: `${this.engine.appId}:${this.task.jobId}:${this.task.thread}:${call.seq}`,
      activityName: call.name,
      workflowId: this.task.jobId,
      thread: this.task.thread,
      seq: call.seq,
      attempt,
      namespace: this.engine.appId,
    });
    if (result.ok) {
      try {
        encodeJson(`activity '${call.name}' result`, result.value);
      } catch (err) {
        return this.journal(call, batch, { type: 'failed', error: fatal(serializeError(err)) }, attempt);
      }
      return this.journal(call, batch, { type: 'done', value: result.value }, attempt);
    }
    const policy = resolveRetry(input.retryPolicy, this.info.config, this.workerRetry);
    if (isTerminalCode(result.error.code) || attempt > policy.maximumAttempts) {
      return this.journal(call, batch, { type: 'failed', error: result.error }, attempt);
    }
    const delay = retryDelaySeconds(attempt, policy);
    const res = await this.engine.query<{ due_at: number }>('recordRetry', [
      ...this.fence(), call.seq, call.kind, call.name, JSON.stringify(result.error), attempt, delay,
    ]);
    if (res.rowCount === 0) throw new LeaseLostError(this.task.id);
    return { type: 'blocked', attempt, dueAt: Number(res.rows[0]!.due_at) };
  }

  private async scheduleRemote(call: IssuedCall, topic: string, input: ActivityCallInput): Promise<CallOutcome> {
    const payload: ActivityPayload = { name: call.name, args: input.args, retryPolicy: input.retryPolicy, config: this.info.config };
    const res = await this.engine.query<{ held: number }>('scheduleActivity', [
      ...this.fence(), call.seq, topic, encodeJson(`activity '${call.name}' args`, payload), this.engine.channel, this.engine.origin,
    ]);
    if (res.rows[0]!.held === 0) throw new LeaseLostError(this.task.id);
    this.engine.localWake(topic);
    return { type: 'blocked' };
  }

  private async waitFor(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const res = await this.engine.query<{ found: boolean; data: unknown; data_undefined: boolean; fenced: boolean }>(
      'waitForSignal',
      [...this.fence(), call.seq, call.name, batch],
    );
    const row = res.rows[0]!;
    if (row.fenced) throw new LeaseLostError(this.task.id);
    return row.found ? { type: 'done', value: row.data_undefined ? undefined : row.data } : { type: 'blocked' };
  }

  private async signal(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const input = call.input as SignalInput;
    const target = input.jobId ?? this.replyTo(call.name) ?? this.task.jobId;
    const messageId = `${this.task.jobId}/${this.task.thread}/${call.seq}`;
    const res = await this.engine.query<{ journaled: number }>('signalFromThread', [
      ...this.fence(), call.seq, call.name, encodeJson('signal data', input.data) ?? 'null', target, batch, messageId,
    ]);
    if (res.rows[0]!.journaled === 0) throw new LeaseLostError(this.task.id);
    return { type: 'done', value: messageId };
  }

  /** A hook started by execHook from another job answers that job's waitFor. */
  private replyTo(signalId: string): string | undefined {
    const last = this.threadArgs[this.threadArgs.length - 1] as Partial<HookSignalArg> | undefined;
    return last && typeof last === 'object' && last.$memflow === true && last.signal === signalId ? last.job : undefined;
  }

  private async startHook(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const input = call.input as HookInput;
    const sameJob = input.workflowId === this.task.jobId;
    const hookThread = sameJob ? `${this.task.thread}/${call.seq}` : `${this.task.jobId}/${this.task.thread}/${call.seq}`;
    const topic = `${input.taskQueue}-${input.workflowName}`;
    const res = await this.engine.query<{ held: number; found: number; journaled: number }>('startHookFromThread', [
      ...this.fence(), call.seq, batch, input.workflowId, hookThread, input.workflowName, input.taskQueue, topic,
      encodeJson('args', input.args), this.engine.channel, this.engine.origin,
    ]);
    const row = res.rows[0]!;
    if (row.held === 0) throw new LeaseLostError(this.task.id);
    if (row.found === 0) {
      const error = serializeError(new Error(`Hook target job '${input.workflowId}' does not exist or does not accept hooks`));
      return this.journal(call, batch, { type: 'failed', error: { ...error, code: ErrorCode.NOT_FOUND } });
    }
    if (row.journaled === 0) throw new LeaseLostError(this.task.id);
    this.engine.localWake(topic);
    return { type: 'done', value: hookThread };
  }

  private async startChild(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const input = call.input as ChildInput;
    const parent = { job: this.task.jobId, thread: this.task.thread, seq: call.seq, await: call.kind === 'child' };
    const options = { expire: input.expire ?? this.info.expire, config: input.config, parentWorkflowId: this.task.jobId, parent };
    const topic = `${input.taskQueue}-${input.workflowName}`;
    const res = await this.engine.query<{ held: number; created: number; existing_parent: typeof parent | null }>('startChildFromThread', [
      ...this.fence(), call.seq, batch, input.workflowId, input.entity ?? null, input.workflowName, input.taskQueue,
      encodeJson('args', input.args), JSON.stringify(options), topic, call.kind === 'start', this.engine.channel, this.engine.origin,
    ]);
    const row = res.rows[0]!;
    if (row.held === 0) throw new LeaseLostError(this.task.id);
    if (row.created === 0) {
      const mine = row.existing_parent && row.existing_parent.job === parent.job && row.existing_parent.thread === parent.thread && row.existing_parent.seq === parent.seq;
      if (!mine) return this.journal(call, batch, { type: 'failed', error: serializeError(new DuplicateJobError(input.workflowId)) });
      if (call.kind === 'start') return this.journal(call, batch, { type: 'done', value: input.workflowId });
      return { type: 'blocked' };
    }
    if (call.kind === 'start') {
      setTimeout(() => this.engine.localWake(topic), 110).unref(); // see startChildFromThread
      return { type: 'done', value: input.workflowId };
    }
    this.engine.localWake(topic);
    return { type: 'blocked' };
  }

  private async searchOp(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const input = call.input as SearchInput;
    const res = await this.engine.query<{ value: unknown }>('searchOpInThread', [
      ...this.fence(), call.seq, batch, this.task.jobId, input.op, JSON.stringify(input.arg),
    ]);
    if (!res.rows[0]) throw new LeaseLostError(this.task.id);
    return { type: 'done', value: res.rows[0].value };
  }

  private async emit(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const input = call.input as { events?: Record<string, unknown>; attributes?: Record<string, unknown> };
    if (call.name === 'trace') recordSpan('memflow.trace', input.attributes ?? {});
    const payloads = publishPayloads(input.events ?? {});
    const res = await this.engine.query<{ journaled: number }>('emitFromThread', [
      ...this.fence(), call.seq, batch, this.engine.channel, JSON.stringify(payloads), call.name,
    ]);
    if (res.rows[0]!.journaled === 0) throw new LeaseLostError(this.task.id);
    return { type: 'done', value: true };
  }

  private async interrupt(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const { jobId, options } = call.input as InterruptInput;
    const error = interruptError(jobId, options);
    const res = await this.engine.query<{ held: number; ended: number; journaled: number; exists: boolean }>('interruptFromThread', [
      ...this.fence(), call.seq, batch, jobId, JSON.stringify(error), options.descend === true, options.expire ?? null, options.suppress === true,
    ]);
    const row = res.rows[0]!;
    if (row.held === 0) throw new LeaseLostError(this.task.id);
    if (row.journaled > 0) return { type: 'done', value: jobId };
    const failure = row.exists ? new Error(`Job ${jobId} already completed`) : new JobNotFoundError(jobId);
    return this.journal(call, batch, { type: 'failed', error: serializeError(failure) });
  }

  private async contextOp(call: IssuedCall, batch: number): Promise<CallOutcome> {
    const request = call.input as ContextOpRequest;
    try {
      const res =
        request.op === 'get'
          ? await this.engine.query<{ value: unknown; undef: boolean }>('contextGetInThread', [...this.fence(), call.seq, batch, request.path])
          : await this.engine.query<{ value: unknown; undef: boolean }>('contextOpInThread', [
              ...this.fence(), call.seq, batch, request.op, request.path, request.arg, CONTEXT_MAX_BYTES,
            ]);
      const row = res.rows[0];
      if (!row) throw new LeaseLostError(this.task.id);
      return { type: 'done', value: row.undef ? undefined : row.value };
    } catch (err) {
      const typed = contextError(err, request);
      if (typed === err) throw err;
      return this.journal(call, batch, { type: 'failed', error: serializeError(typed) });
    }
  }

  async stamp(batch: number, seqs: number[], timers: DueTimer[]): Promise<void> {
    const res = await this.engine.query<{ held: number }>('stampDelivered', [
      ...this.fence(), seqs, JSON.stringify(timers.map((t) => ({ seq: t.seq, name: t.name, value: t.value ?? null }))), batch,
    ]);
    if (res.rows[0]!.held === 0) throw new LeaseLostError(this.task.id);
  }
}

function fatal(error: SerializedError): SerializedError {
  return { ...error, code: ErrorCode.FATAL };
}

/**
 * emit() and trace() with `once`: published (or recorded) and journaled together, so replays do not
 * repeat them. NOTIFY payloads are capped at 8000 bytes by PostgreSQL, so larger events are refused.
 */
import type { Engine } from '../../engine/engine.js';
import { PayloadTooLargeError } from '../../errors.js';
import { encodeJson } from '../../json-value.js';
import * as jobs from '../../sql/queries/jobs.js';
import { recordSpan } from '../../telemetry/tracing.js';
import type { Executor } from './call-site.js';

const NOTIFY_LIMIT = 7900;

/** The `emit:` payloads of a set of events, one per topic. */
export function publishPayloads(events: Record<string, unknown>): string[] {
  return Object.entries(events).map(([topic, data]) => {
    const payload = encodeJson('emit event', { topic, data })!;
    if (Buffer.byteLength(payload) > NOTIFY_LIMIT) throw new PayloadTooLargeError(`emit event '${topic}'`, Buffer.byteLength(payload), NOTIFY_LIMIT);
    return payload;
  });
}

/** Publish now, outside the journal (`emit(..., { once: false })`). */
export async function publishNow(engine: Engine, events: Record<string, unknown>): Promise<void> {
  for (const payload of publishPayloads(events)) {
    await engine.query(jobs.publishEvent, { channel: engine.channel, payload: `emit:${payload}` });
  }
}

export const executeEmit: Executor<'emit'> = async (site, call, batch) => {
  const { input } = call;
  if (call.name === 'trace') recordSpan('memflow.trace', input.attributes ?? {});
  const payloads = publishPayloads(input.events ?? {});
  const res = await site.query(jobs.emitFromThread, {
    ...site.at(call, batch()),
    channel: site.engine.channel,
    payloads: JSON.stringify(payloads),
    name: call.name,
  });
  if (res.rows[0]!.journaled === 0) site.leaseLost();
  return { type: 'done', value: true };
};

/**
 * emit(): events go out on the app's NOTIFY channel as `emit:<json>` payloads, one per topic.
 * NOTIFY payloads are capped at 8000 bytes by PostgreSQL, so larger events are refused up front.
 */
import type { Engine } from '../engine/engine.js';
import { PayloadTooLargeError } from '../errors.js';
import { encodeJson } from '../json-value.js';

const NOTIFY_LIMIT = 7900;

export function publishPayloads(events: Record<string, unknown>): string[] {
  return Object.entries(events).map(([topic, data]) => {
    const payload = encodeJson('emit event', { topic, data })!;
    if (Buffer.byteLength(payload) > NOTIFY_LIMIT) throw new PayloadTooLargeError(`emit event '${topic}'`, Buffer.byteLength(payload), NOTIFY_LIMIT);
    return payload;
  });
}

export async function publishNow(engine: Engine, events: Record<string, unknown>): Promise<void> {
  for (const payload of publishPayloads(events)) {
    await engine.driver.query('SELECT pg_notify($1, $2)', [engine.channel, `emit:${payload}`]);
  }
}

/**
 * `trace` records an OpenTelemetry span (a no-op unless the application installs an SDK); `emit`
 * publishes events on the app's NOTIFY channel (`emit:` payloads). With `once: true` (the default)
 * each is a durable call and happens once per workflow, whatever the replays; with `once: false` it
 * happens on every run and takes no seq.
 */
import { recordSpan } from '../telemetry/tracing.js';
import { currentExecution } from './execution.js';

export interface OnceConfig {
  once?: boolean;
}

export async function trace(attributes: Record<string, unknown>, config: OnceConfig = { once: true }): Promise<boolean> {
  const { run, info } = currentExecution('trace');
  const attrs = { ...attributes, 'hotmesh.workflow_id': info.workflowId, 'hotmesh.thread': info.thread };
  if (config.once === false) {
    recordSpan('memflow.trace', attrs);
    return true;
  }
  await run.call({ kind: 'emit', name: 'trace', input: { attributes: attrs } });
  return true;
}

export async function emit(events: Record<string, unknown>, config: OnceConfig = { once: true }): Promise<true> {
  const { run, host } = currentExecution('emit');
  if (config.once === false) {
    await host.publish(events);
    return true;
  }
  await run.call({ kind: 'emit', name: 'emit', input: { events } });
  return true;
}

/**
 * Spans through `@opentelemetry/api` only: a no-op unless the application installs an SDK.
 */
import { trace } from '@opentelemetry/api';

export function recordSpan(name: string, attributes: Record<string, unknown>): void {
  const span = trace.getTracer('hotmesh').startSpan(name, { attributes: attributes as Record<string, string> });
  span.end();
}

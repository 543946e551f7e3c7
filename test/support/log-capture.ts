/** A pino-shaped logger that keeps every entry, for tests that assert what was logged. */
export interface LogEntry {
  level: string;
  msg?: string;
  obj: Record<string, any>;
}

export function captureLogs() {
  const entries: LogEntry[] = [];
  const at = (level: string) => (obj: object, msg?: string) => entries.push({ level, msg, obj: obj as Record<string, any> });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  /** The entries whose message starts with `prefix`. */
  const logged = (prefix: string) => entries.filter((e) => e.msg?.startsWith(prefix));
  return { entries, logger, logged };
}

/**
 * Logging, per runtime. A logger is any object with pino's shape, `debug/info/warn/error(obj, msg?)`:
 * a pino instance works as it is. Every entry is structured (`appId`, `jobId`, `workflowName`,
 * `taskQueue`, `seq`, `attempt`, `err` as applicable) and has a short message.
 *
 * Levels: `MemFlow.init({ logLevel })`, overridden by the HOTMESH_LOG_LEVEL environment variable.
 * The default logger writes one line per entry to stderr, at `warn` and above unless told otherwise;
 * a logger you pass gets every entry at `logLevel` and above (all of them when you set none: your
 * logger filters). `silent` logs nothing.
 */

import { ValidationError } from '../errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/** A logger that drops everything (a loop or run given none). */
export const SILENT_LOGGER: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

/**
 * The `err` field of an entry: `{ type, message, code?, stack }`. Without a prototype, and with the
 * type as its `name` too: pino's `err` serializer names the type after an object's constructor
 * (`Object` for a plain one) and after `name` only when it has none.
 */
function errorField(type: string | undefined, message: string, code: unknown, stack: string | undefined): Record<string, unknown> {
  const field: Record<string, unknown> = Object.create(null);
  if (type !== undefined) field.type = field.name = type;
  field.message = message;
  if (code !== undefined) field.code = code;
  field.stack = stack;
  return field;
}

/** A stored failure as a log field (pino's `err` shape). */
export function failureField(f: { type?: string; message: string; code?: number; stack?: string }): Record<string, unknown> {
  return errorField(f.type, f.message, f.code, f.stack);
}

/** An error as a log field: message, name, code and stack (what pino's `err` serializer gives). */
export function errField(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return errorField(undefined, String(err), undefined, undefined);
  return errorField(err.name, err.message, (err as { code?: unknown }).code, err.stack);
}

/** One line per entry on stderr: `hotmesh <LEVEL> <msg> {fields}`. */
function stderrLogger(): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    let fields = '';
    try {
      fields = JSON.stringify(obj, (key, value) => (key === 'stack' && typeof value === 'string' ? value.split('\n').slice(0, 4).join(' | ') : value));
    } catch {
      fields = '{}';
    }
    process.stderr.write(`hotmesh ${level} ${msg ?? ''} ${fields}\n`);
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

/**
 * The bad HOTMESH_LOG_LEVEL values said so far: said once per process, not by every logger made (the
 * process runtime makes one as the package loads, every MemFlow.init another). The environment is the
 * process's, so this is the one piece of process-wide state here.
 */
const saidBadEnvLevel = new Set<string>();

/** The level a runtime logs at: HOTMESH_LOG_LEVEL, else `logLevel`, else everything for a logger you pass, else 'warn'. */
export function effectiveLevel(options: { logger?: Logger; logLevel?: LogLevel }, env: Record<string, string | undefined> = process.env): LogLevel {
  const fromEnv = env.HOTMESH_LOG_LEVEL;
  return isLogLevel(fromEnv) ? fromEnv : (options.logLevel ?? (options.logger ? 'debug' : 'warn'));
}

/**
 * The logger a runtime uses: the given one (or stderr), filtered at the effective level, with `base`
 * fields (the app) merged into every entry.
 */
export function runtimeLogger(options: { logger?: Logger; logLevel?: LogLevel } = {}, env: Record<string, string | undefined> = process.env): Logger {
  validateLogging(options);
  const fromEnv = env.HOTMESH_LOG_LEVEL;
  if (fromEnv !== undefined && fromEnv !== '' && !isLogLevel(fromEnv) && !saidBadEnvLevel.has(fromEnv)) {
    // not a reason to stop the process, but a typo there must not pass unseen
    saidBadEnvLevel.add(fromEnv);
    process.stderr.write(`hotmesh: HOTMESH_LOG_LEVEL=${JSON.stringify(fromEnv)} is not a level (debug, info, warn, error, silent); it is ignored\n`);
  }
  const level = effectiveLevel(options, env);
  const target = options.logger ?? stderrLogger();
  let failed = false;
  // A logger that throws must not take the engine with it: the entry would have been lost with the
  // statement it came from (a black-box pass: an activity's failed attempt went unjournaled and ran
  // again every lease). The first failure is said on stderr, the one place left to say it.
  const at = (name: Exclude<LogLevel, 'silent'>) =>
    RANK[name] >= RANK[level]
      ? (obj: object, msg?: string) => {
          try {
            target[name](obj, msg);
          } catch (err) {
            if (failed) return;
            failed = true;
            process.stderr.write(`hotmesh: the logger's ${name}() threw (${errField(err).message}); its entries are dropped, this is said once: ${msg ?? ''}\n`);
          }
        }
      : () => {};
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** `logger` has pino's four methods and `logLevel` is a level: a ValidationError before anything opens. */
function validateLogging(options: { logger?: unknown; logLevel?: unknown }): void {
  const { logger, logLevel } = options;
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    throw new ValidationError('logLevel', `must be one of ${Object.keys(RANK).join(', ')} (got ${JSON.stringify(logLevel) ?? typeof logLevel})`);
  }
  if (logger === undefined || logger === null) return;
  if (typeof logger !== 'object' && typeof logger !== 'function') throw new ValidationError('logger', `must be an object with debug, info, warn and error methods (got ${typeof logger})`);
  const missing = (['debug', 'info', 'warn', 'error'] as const).filter((m) => typeof (logger as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new ValidationError('logger', `must have debug, info, warn and error methods (pino's shape): ${missing.join(', ')} missing`);
}

/** A logger that adds `fields` to every entry. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return new FieldsLogger(logger, fields);
}

/** withFields' logger: one object per run of a task (its methods on the prototype, not four closures). */
class FieldsLogger implements Logger {
  constructor(
    private readonly logger: Logger,
    private readonly fields: Record<string, unknown>,
  ) {}

  debug(obj: object, msg?: string): void {
    this.logger.debug({ ...this.fields, ...obj }, msg);
  }

  info(obj: object, msg?: string): void {
    this.logger.info({ ...this.fields, ...obj }, msg);
  }

  warn(obj: object, msg?: string): void {
    this.logger.warn({ ...this.fields, ...obj }, msg);
  }

  error(obj: object, msg?: string): void {
    this.logger.error({ ...this.fields, ...obj }, msg);
  }
}

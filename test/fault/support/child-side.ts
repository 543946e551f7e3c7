/**
 * The child side of the fault tests' process protocol: the config arrives as one JSON argument, the
 * child answers with one line per event on stdout, and takes commands, one a line, on stdin.
 */
import readline from 'node:readline';
import pg from 'pg';

/** The JSON config the test passed as the one argument. */
export function configFromArgv<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** One protocol line. stdout is a pipe: writes are synchronous on Linux, so it is out before a SIGKILL. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

let commands: readline.Interface | undefined;
/** Resolves when the test writes `command` to stdin. */
export function untilCommand(command: string): Promise<void> {
  commands ??= readline.createInterface({ input: process.stdin });
  return new Promise((resolve) => {
    const onLine = (line: string) => {
      if (line.trim() !== command) return;
      commands!.off('line', onLine);
      resolve();
    };
    commands!.on('line', onLine);
  });
}

/**
 * End the process with what `produce` answers: `RESULT <json>`, clean shutdown, exit 0; or
 * `ERROR <json>` (message and stack) and exit 1.
 */
export async function exitWithResult(shutdown: () => Promise<void>, produce: () => Promise<unknown>): Promise<never> {
  let result: unknown;
  try {
    result = await produce();
  } catch (err) {
    return exitWithError(shutdown, err);
  }
  say(`RESULT ${JSON.stringify(result)}`);
  await shutdown();
  process.exit(0);
}

/** `ERROR <json>` (message and stack), shutdown as far as it goes, exit 1. */
export async function exitWithError(shutdown: () => Promise<void>, err: unknown): Promise<never> {
  say(`ERROR ${JSON.stringify({ message: (err as Error).message, stack: (err as Error).stack })}`);
  await shutdown().catch(() => {});
  process.exit(1);
}

export interface BackendConfig {
  backend: 'postgres' | 'pglite';
  /** PostgreSQL URL (postgres only). */
  url?: string;
  /** PGlite data directory (pglite only). */
  dataDir?: string;
}

/** The MemFlow connection for the backend the test chose. */
export function connectionFor(config: BackendConfig) {
  return config.backend === 'postgres' ? { class: pg.Client, options: { connectionString: config.url } } : { dataDir: config.dataDir! };
}

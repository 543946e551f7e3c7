/**
 * What every command gets: the global options (`--url`, `--data-dir`, `--app`, `--json`), the
 * database and the MemFlow instance opened on first use (so `--help` and `replay` open nothing), the
 * output, and `close()`, which releases what was opened. One per CLI run; nothing process-wide.
 *
 * Workflow commands go through the public API (`MemFlow.init` and its handles). `migrate` and `apps`
 * read the registry, which the public API does not show, through the same shared driver: opening
 * the MemFlow instance afterwards reuses it (one PGlite open per run).
 */
import { AppMigrationsPendingError, ConnectionError, ValidationError } from '../errors.js';
import { init, type MemFlowInstance } from '../memflow/init.js';
import type { WorkflowHandle } from '../memflow/handle.js';
import { type DriverHold, type DriverTarget, holdDriver, resolveTarget } from '../storage/connection.js';
import type { Driver } from '../storage/driver.js';
import { migrationLabel, planRegisteredApp } from '../storage/migrate.js';
import { isConnectionFailure } from '../storage/transient-error.js';
import { validateAppId } from '../storage/sql-identifier.js';
import { validateId } from '../validation.js';
import type { ExitCode } from './exit-codes.js';

export interface GlobalOptions {
  url?: string;
  dataDir?: string;
  app: string;
  json: boolean;
  verbose: boolean;
}

/** Where a command writes (process streams in the bin; buffers in tests). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export class CliEnv {
  /** Set by a command that completes but must exit non-zero (`replay` of diverging code). */
  exitCode: ExitCode | undefined;
  private hold: Promise<DriverHold> | undefined;
  private instance: Promise<MemFlowInstance> | undefined;

  constructor(
    private readonly readOptions: () => GlobalOptions,
    readonly output: CliOutput,
  ) {}

  /** The global options, checked. */
  get options(): GlobalOptions {
    const o = this.readOptions();
    if (o.url !== undefined && o.dataDir !== undefined) throw new ValidationError('--url', 'give --url or --data-dir, not both');
    if (o.url !== undefined && !/^postgres(ql)?:\/\//.test(o.url)) throw new ValidationError('--url', 'must be a postgres:// or postgresql:// URL');
    if (o.dataDir === '') throw new ValidationError('--data-dir', 'must not be empty');
    validateAppId(o.app);
    return o;
  }

  /** `--url`, else `--data-dir`, else DATABASE_URL, else the embedded `./.hotmesh` (HOTMESH_DATA_DIR). */
  private target(): DriverTarget {
    const { url, dataDir } = this.options;
    return resolveTarget(url, dataDir, process.env, false); // no embedded-database notice: a failure is one line
  }

  /** The database, opened once (for the registry: `migrate`, `apps`, the app check). */
  async database(): Promise<Driver> {
    const target = this.target();
    this.hold ??= holdDriver(target);
    return (await this.hold).driver;
  }

  /** Run `fn` against the database; an unreachable server becomes a ConnectionError naming where. */
  async withDatabase<T>(fn: (driver: Driver) => Promise<T>): Promise<T> {
    const target = this.target();
    try {
      return await fn(await this.database());
    } catch (err) {
      if (target.embedded || !isConnectionFailure(err)) throw err;
      throw new ConnectionError(this.options.url !== undefined ? '--url' : target.source, target.where, err);
    }
  }

  /**
   * The MemFlow instance of `--app`. The app must exist and be migrated: no command but `migrate`
   * changes a schema (opening an app migrates it), so a typo never provisions an app and a newer CLI
   * never upgrades a schema older workers still run on.
   */
  memflow(): Promise<MemFlowInstance> {
    this.instance ??= (async () => {
      const { app, url, dataDir } = this.options;
      await this.withDatabase(async (driver) => {
        const plan = await planRegisteredApp(driver, app);
        if (plan.pending.length > 0) throw new AppMigrationsPendingError(app, plan.pending.map(migrationLabel));
      });
      return init({ appId: app, connection: url, dataDir });
    })();
    return this.instance;
  }

  /** A handle on one job of the app (its task queue and name are not needed to address it). */
  async handle(workflowId: string): Promise<WorkflowHandle> {
    validateId('workflowId', workflowId); // before the database is opened
    return (await this.memflow()).workflow.getHandle('', '', workflowId);
  }

  /** `value` as JSON with `--json`, else what `human` makes of it. */
  print<T>(value: T, human: (value: T) => string): void {
    const text = this.options.json ? JSON.stringify(value, null, 2) : human(value);
    this.output.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Release what this run opened (the MemFlow instance, then the driver hold). */
  async close(): Promise<void> {
    const instance = await this.instance?.catch(() => undefined);
    await instance?.shutdown({ graceMs: 0 });
    const hold = await this.hold?.catch(() => undefined);
    await hold?.release();
  }
}

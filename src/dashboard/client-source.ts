/**
 * The dashboard's DashboardSource on a Client: reads through the management API's shapes and acts
 * through the handle's own operations, so the dashboard can do nothing the API cannot.
 */
import type { Engine } from '../engine/engine.js';
import { AppMigrationsPendingError } from '../errors.js';
import type { HistoryEntry, ListOptions, WorkflowDescription, WorkflowFilter, WorkflowPage } from '../manage/types.js';
import type { Client } from '../memflow/client.js';
import type { WorkflowHandle } from '../memflow/handle.js';
import { migrationLabel, planRegisteredApp } from '../storage/migrate.js';
import { schemaForApp } from '../storage/sql-identifier.js';
import type { Logger } from '../telemetry/logger.js';
import { errField } from '../telemetry/logger.js';
import type { ActionInput, ActionResult, AppSummary, DashboardSource, StatusCounts } from './dashboard-source.js';

/**
 * Polling beside NOTIFY: context changes send none, nor does a finish nobody outside its engine waits
 * for (migration 0047); PGlite has one session.
 */
const POLL_MS = { postgres: 1000, pglite: 1000 } as const;
/**
 * Counts per status scan every matching job: 0.85 s p50 over 1M jobs with no filter (docs/dashboard.md),
 * against 4 ms for a page of the list. A count that took long is reused for ten times as long, so
 * live updates of a big app refresh the rows at once and the counts every few seconds.
 */
const SLOW_COUNT_MS = 100;
/** Several NOTIFYs in a burst (a job's steps) make one refresh. */
const DEBOUNCE_MS = 150;

export class ClientSource implements DashboardSource {
  private readonly countCache = new Map<string, { counts: StatusCounts; until: number }>();
  /** Apps found registered and migrated (the dashboard's own app needs no check). */
  private readonly checkedApps = new Set<string>();

  constructor(
    private readonly client: Client,
    /** The app the dashboard opens on (its database connection also lists the others). */
    private readonly defaultApp: string,
    private readonly logger: Logger,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  /**
   * The engine of an app the database has, migrated by this build. Opening an app migrates it, and an
   * app named in a URL is anyone's input: a GET of /apps/typo/jobs created schema `typo`, from a
   * read-only dashboard too. So an app other than the dashboard's own is opened only once the
   * registry shows it with no migration pending (AppNotFoundError: 404; pending: 409).
   */
  private async engine(appId: string): Promise<Engine> {
    if (appId !== this.defaultApp && !this.checkedApps.has(appId)) {
      const { driver } = await this.client.engine(this.defaultApp);
      const plan = await planRegisteredApp(driver, appId);
      if (plan.pending.length > 0) throw new AppMigrationsPendingError(appId, plan.pending.map(migrationLabel));
      this.checkedApps.add(appId);
    }
    return this.client.engine(appId);
  }

  private async handle(appId: string, workflowId: string): Promise<WorkflowHandle> {
    await this.engine(appId);
    // A handle is (app, workflowId); the topic is for information only.
    return this.client.workflow.getHandle('dashboard', 'dashboard', workflowId, appId);
  }

  async apps(): Promise<AppSummary[]> {
    const apps = await this.client.workflow.apps(this.defaultApp);
    return apps.map((appId) => ({ appId, schema: schemaForApp(appId) }));
  }

  async list(appId: string, options: ListOptions): Promise<WorkflowPage> {
    await this.engine(appId);
    return this.client.workflow.list(options, appId);
  }

  async counts(appId: string, filter: WorkflowFilter): Promise<StatusCounts> {
    const key = JSON.stringify([appId, filter]);
    const cached = this.countCache.get(key);
    if (cached && cached.until > Date.now()) return cached.counts;
    await this.engine(appId);
    const started = Date.now();
    const counts = await this.client.workflow.counts(filter, appId);
    const took = Date.now() - started;
    if (took >= SLOW_COUNT_MS) {
      if (this.countCache.size > 100) this.countCache.clear();
      this.countCache.set(key, { counts, until: Date.now() + 10 * took });
    } else this.countCache.delete(key);
    return counts;
  }

  async describe(appId: string, workflowId: string): Promise<WorkflowDescription> {
    return (await this.handle(appId, workflowId)).describe();
  }

  async history(appId: string, workflowId: string): Promise<HistoryEntry[]> {
    return (await this.handle(appId, workflowId)).history();
  }

  async context(appId: string, workflowId: string): Promise<{ value: unknown; version: number }> {
    const ctx = (await this.handle(appId, workflowId)).context();
    const [value, version] = await Promise.all([ctx.get(), ctx.version()]);
    return { value, version };
  }

  async contextAt(appId: string, workflowId: string, version: number): Promise<unknown> {
    return (await this.handle(appId, workflowId)).context().at(version);
  }

  async contextLog(appId: string, workflowId: string) {
    return (await this.handle(appId, workflowId)).context().history();
  }

  async act(appId: string, workflowId: string, input: ActionInput): Promise<ActionResult> {
    const handle = await this.handle(appId, workflowId);
    switch (input.action) {
      case 'signal':
        await handle.signal(input.signalId, input.payload);
        return { message: `signal '${input.signalId}' sent` };
      case 'hook': {
        const thread = await handle.hook({ taskQueue: input.taskQueue, workflowName: input.workflowName, args: input.args });
        return { message: `hook started as thread ${thread}` };
      }
      case 'cancel':
        await handle.cancel({ reason: input.reason });
        return { message: 'cancel requested: the workflow gets a CancelledError at its current or next durable wait' };
      case 'terminate':
        await handle.terminate({ reason: input.reason });
        return { message: 'terminated' };
      case 'resume':
        await handle.resume();
        return { message: 'resumed: the job replays with the current code' };
      case 'retry':
        await handle.retry();
        return { message: 'retrying from the failed call' };
      case 'fork': {
        const fork = await handle.fork(input.fromSeq === undefined ? {} : { fromSeq: input.fromSeq });
        return { message: `forked as ${fork.workflowId}`, workflowId: fork.workflowId };
      }
    }
  }

  async watch(appId: string, listener: () => void): Promise<() => void> {
    const engine = await this.engine(appId);
    let timer: NodeJS.Timeout | undefined;
    const fire = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        try {
          listener();
        } catch (err) {
          this.logger.warn({ appId, err: errField(err) }, 'dashboard live update failed');
        }
      }, DEBOUNCE_MS);
    };
    const off = engine.onPayload(fire);
    const poll = setInterval(fire, POLL_MS[engine.driver.kind]);
    return () => {
      off();
      clearInterval(poll);
      clearTimeout(timer);
    };
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

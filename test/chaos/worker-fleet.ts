/**
 * The chaos workers: `size` slots, each a worker process (chaos-worker.ts) behind a TCP proxy of its
 * own. A worker that dies (SIGKILLed by a fault, or failing to start while the server restarts) is
 * replaced in its slot at once. The fleet remembers every process it ran: pid, when it died and how,
 * so the oracle can tell a task leased by a dead process, and a crash nobody caused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from './chaos-worker.js';
import type { FaultPoint } from './fault-points.js';
import { HalfOpenProxy } from './half-open-proxy.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(REPO, 'test/chaos/chaos-worker.ts');

export interface WorkerProcess {
  slot: number;
  pid: number;
  proc: ChildProcess;
  ready: boolean;
  paused: boolean;
  /** When it was last paused with SIGSTOP. */
  pausedAt?: number;
  startedAt: number;
  /** Set when it exited: when, and whether a fault (SIGKILL) or the fleet (exit) ended it. */
  diedAt?: number;
  endedBy?: 'sigkill' | 'exit';
  /** It exited with neither: failed to start (server down) or crashed. */
  failedToStart: boolean;
  /** Asked to shut down, it had not exited within the grace and was SIGKILLed. */
  shutdownHung?: boolean;
  stderr: string[];
  listeners: Array<(line: string) => void>;
}

/** Processes that ended on their own, not at start-up: a crash (an engine bug). */
export function crashedOf(workers: WorkerProcess[]): WorkerProcess[] {
  return workers.filter((w) => w.diedAt !== undefined && !w.endedBy && !w.failedToStart);
}

export interface FleetOptions {
  size: number;
  appId: string;
  /** The server's port (each slot's proxy forwards to it). */
  serverPort: number;
  ledgerUrl: string;
  leaseSeconds: number;
  concurrency: number;
  holdMs: number;
  /** Progress lines: a worker that ended on its own is reported here. */
  log?: (line: string) => void;
  /** Another process than chaos-worker.ts, with its config (PGlite: pglite-host.ts); no proxies then. */
  custom?: { script: string; config: (slot: number) => unknown };
}

export class WorkerFleet {
  readonly proxies: HalfOpenProxy[] = [];
  readonly current: Array<WorkerProcess | undefined> = [];
  /** Every process the fleet ran. */
  readonly all: WorkerProcess[] = [];
  private readonly proxyPorts: number[] = [];
  private running = false;

  constructor(private readonly options: FleetOptions) {}

  /** Start every slot and wait until each worker is READY. */
  async start(timeoutMs = 90_000): Promise<void> {
    for (let slot = 0; slot < this.options.size && !this.options.custom; slot++) {
      const proxy = new HalfOpenProxy(this.options.serverPort);
      this.proxies.push(proxy);
      this.proxyPorts.push(await proxy.listen());
    }
    this.running = true;
    for (let slot = 0; slot < this.options.size; slot++) this.spawn(slot);
    const until = Date.now() + timeoutMs;
    while (!this.current.every((w) => w?.ready)) {
      if (Date.now() > until) throw new Error(`chaos workers not ready after ${timeoutMs} ms: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private spawn(slot: number): void {
    const config: WorkerConfig | unknown = this.options.custom?.config(slot) ?? {
      slot,
      appId: this.options.appId,
      url: `postgres://postgres@127.0.0.1:${this.proxyPorts[slot]}/chaos`,
      ledgerUrl: this.options.ledgerUrl,
      leaseSeconds: this.options.leaseSeconds,
      concurrency: this.options.concurrency,
      holdMs: this.options.holdMs,
    };
    const script = this.options.custom?.script ?? SCRIPT;
    const proc = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const worker: WorkerProcess = {
      slot,
      pid: proc.pid!,
      proc,
      ready: false,
      paused: false,
      startedAt: Date.now(),
      failedToStart: false,
      stderr: [],
      listeners: [],
    };
    this.current[slot] = worker;
    this.all.push(worker);
    proc.stdin!.on('error', () => {});
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line === 'READY') worker.ready = true;
      if (line.startsWith('ERROR ')) worker.failedToStart = true;
      for (const listener of [...worker.listeners]) listener(line);
    });
    readline.createInterface({ input: proc.stderr! }).on('line', (line) => {
      worker.stderr.push(line);
      if (worker.stderr.length > 100) worker.stderr.shift(); // the last lines: a crash's trace is at the end
    });
    proc.once('exit', (code, signal) => {
      worker.diedAt = Date.now();
      worker.ready = false;
      if (signal === 'SIGKILL' && !worker.endedBy) worker.endedBy = 'sigkill';
      if (code === 0 && !worker.endedBy) worker.endedBy = 'exit';
      if (!worker.endedBy) {
        const why = worker.failedToStart ? 'failed to start' : 'CRASHED';
        this.options.log?.(`chaos: worker pid ${worker.pid} (slot ${slot}) ${why}: exit ${code ?? signal}; ${worker.stderr.slice(-3).join(' | ')}`);
      }
      if (this.running && this.current[slot] === worker) {
        // a replacement, at once (after a failed start, a moment later: the server may be restarting)
        setTimeout(() => this.running && this.current[slot] === worker && this.spawn(slot), worker.failedToStart ? 500 : 50);
      }
    });
  }

  /** Workers that are serving now (ready, not paused). */
  live(): WorkerProcess[] {
    return this.current.filter((w): w is WorkerProcess => !!w && w.ready && !w.paused && w.diedAt === undefined);
  }

  /** SIGKILL a worker and wait until it is reaped (its slot gets a replacement). */
  async kill(worker: WorkerProcess): Promise<void> {
    if (worker.diedAt !== undefined) return;
    worker.endedBy = 'sigkill';
    const gone = new Promise((resolve) => worker.proc.once('exit', resolve));
    worker.proc.kill('SIGKILL');
    await gone;
  }

  pause(worker: WorkerProcess): void {
    worker.paused = true;
    worker.pausedAt = Date.now();
    worker.proc.kill('SIGSTOP');
  }

  resume(worker: WorkerProcess): void {
    worker.proc.kill('SIGCONT');
    worker.paused = false;
  }

  /**
   * Arm a fault point in every live worker (for one job, if `jobId` is given); answers the first
   * worker to reach it (and the job it was working on), or undefined after `timeoutMs`. The others
   * are disarmed.
   */
  async caught(point: FaultPoint, timeoutMs: number, jobId = ''): Promise<{ worker: WorkerProcess; jobId: string } | undefined> {
    const until = Date.now() + timeoutMs;
    while (this.live().length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100)); // a replacement starting
    const workers = this.live();
    if (workers.length === 0) return undefined;
    return new Promise((resolve) => {
      const listeners = new Map<WorkerProcess, (line: string) => void>();
      const done = (hit: { worker: WorkerProcess; jobId: string } | undefined) => {
        clearTimeout(timer);
        for (const [w, listener] of listeners) {
          w.listeners.splice(w.listeners.indexOf(listener), 1);
          if (w !== hit?.worker) w.proc.stdin!.write(`unwatch ${point}\n`);
        }
        resolve(hit);
      };
      const timer = setTimeout(() => done(undefined), Math.max(0, until - Date.now()));
      for (const worker of workers) {
        const listener = (line: string) => {
          if (line.startsWith(`IN ${point} `)) done({ worker, jobId: line.slice(`IN ${point} `.length) });
        };
        listeners.set(worker, listener);
        worker.listeners.push(listener);
        worker.proc.stdin!.write(`watch ${point} ${jobId}\n`);
      }
    });
  }


  /** Send a line to a worker and answer its first stdout line starting with `prefix` (undefined after `timeoutMs`). */
  ask(worker: WorkerProcess, line: string, prefix: string, timeoutMs = 10_000): Promise<string | undefined> {
    const answer = this.next(worker, prefix, timeoutMs);
    worker.proc.stdin!.write(`${line}\n`);
    return answer;
  }

  /** A worker's next stdout line starting with `prefix`, without it (undefined after `timeoutMs`). */
  next(worker: WorkerProcess, prefix: string, timeoutMs: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const listener = (l: string) => {
        if (l.startsWith(prefix)) done(l.slice(prefix.length));
      };
      const done = (answer: string | undefined) => {
        clearTimeout(timer);
        worker.listeners.splice(worker.listeners.indexOf(listener), 1);
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      worker.listeners.push(listener);
    });
  }

  /** Let a worker held at a gated fault point go on (fault-points.ts). */
  release(worker: WorkerProcess, point: FaultPoint): void {
    if (worker.diedAt === undefined) worker.proc.stdin!.write(`release ${point}\n`);
  }

  /** Stop replacing workers, ask each to shut down (SIGKILL after `graceMs`), close the proxies. */
  async stop(graceMs = 10_000): Promise<void> {
    this.running = false;
    await Promise.all(
      this.current.map(async (worker) => {
        if (!worker || worker.diedAt !== undefined) return;
        if (worker.paused) this.resume(worker);
        const gone = new Promise((resolve) => worker.proc.once('exit', resolve));
        worker.endedBy = 'exit';
        worker.proc.stdin!.write('exit\n');
        const timer = setTimeout(() => {
          worker.shutdownHung = true;
          worker.proc.kill('SIGKILL');
        }, graceMs);
        await gone;
        clearTimeout(timer);
      }),
    );
    await Promise.all(this.proxies.map((p) => p.close()));
  }

  /** SIGKILL everything at once (failure and SIGINT paths). */
  killAllSync(): void {
    this.running = false;
    for (const worker of this.current) {
      if (worker && worker.diedAt === undefined) {
        worker.proc.kill('SIGCONT');
        worker.proc.kill('SIGKILL');
      }
    }
  }

  describe(): string {
    return this.current.map((w) => (w ? `slot ${w.slot} pid ${w.pid} ready=${w.ready} stderr: ${w.stderr.slice(-5).join(' | ')}` : '-')).join('; ');
  }
}

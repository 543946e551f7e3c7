/**
 * The chaos suite's own PostgreSQL 15 cluster, made with Debian's cluster tools (they run the server
 * as user postgres: PostgreSQL refuses to run as root). Never the shared server at 5432: the suite
 * restarts its cluster in immediate mode, terminates its sessions and disables its fence.
 *
 * `track_commit_timestamp` is on: the oracle compares when a journal row committed with when each
 * execution of that activity started (both by the database clock). `fsync` is off: an immediate
 * restart is a crash of the server process, not of the OS, so the page cache keeps every commit.
 */
import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const VERSION = '15';
/** Clusters of this suite are named `chaos<pid>_<n>`: a leftover whose process is gone can be told apart. */
const PREFIX = 'chaos';
let made = 0;

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ChaosCluster {
  private dropped = false;

  private constructor(
    readonly name: string,
    readonly port: number,
  ) {}

  /** Create and start `chaos<pid>_<n>` on a free port, with a database `chaos`. */
  static async create(): Promise<ChaosCluster> {
    await ChaosCluster.dropLeftovers();
    const name = `${PREFIX}${process.pid}_${++made}`;
    const port = await freePort();
    await run('pg_createcluster', [
      VERSION,
      name,
      '--port',
      String(port),
      '-o',
      'track_commit_timestamp=on',
      '-o',
      'fsync=off',
      '-o',
      'max_connections=300',
      '--',
      '--auth=trust',
    ]);
    const cluster = new ChaosCluster(name, port);
    try {
      await cluster.start();
      const db = new pg.Client({ connectionString: cluster.url('postgres') });
      await db.connect();
      await db.query('CREATE DATABASE chaos');
      await db.end();
    } catch (err) {
      cluster.dropSync();
      throw err;
    }
    return cluster;
  }

  /** Remove clusters this suite left behind when its process was killed (their pid is gone). */
  static async dropLeftovers(): Promise<void> {
    const { stdout } = await run('pg_lsclusters', ['--no-header']);
    for (const line of stdout.split('\n')) {
      const [version, name] = line.trim().split(/\s+/);
      const match = name?.match(/^chaos(\d+)_\d+$/);
      const pid = match ? Number(match[1]) : NaN;
      if (version === VERSION && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
        await run('pg_dropcluster', ['--stop', VERSION, name!]).catch(() => {});
      }
    }
  }

  url(database = 'chaos'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, this.name, 'start']);
  }

  /** `restart -m immediate`: every backend dies at once, uncommitted work is gone, recovery replays the WAL. */
  async restartImmediate(): Promise<void> {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, this.name, 'restart', '-m', 'immediate']);
  }

  /** Stop and remove the cluster. Synchronous, so it also runs from an exit or signal handler. */
  dropSync(): void {
    if (this.dropped) return;
    this.dropped = true;
    try {
      execFileSync('pg_dropcluster', ['--stop', VERSION, this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/**
 * The LISTEN connection: one dedicated `pg.Client` per driver, for every channel listened to.
 *
 * It reconnects with capped exponential backoff, re-issues every LISTEN, and tells the engine to poll
 * once, because notifications sent while it was away are gone. Idle by nature, a half-open one would
 * go unnoticed (keepalive takes the OS's minutes), so it is asked something every `checkMs` and
 * replaced when no answer comes within the same time.
 */
import pg from 'pg';
import { quoteIdentifier } from '../sql-identifier.js';

const RECONNECT_MAX_MS = 10_000;

/** Drop a client's socket at once (end() waits for an answer a dead connection never gives). */
export function destroy(client: pg.Client): void {
  client.connection?.stream?.destroy();
}

export class ListenConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectCallbacks: Array<() => void> = [];
  private readonly lostCallbacks: Array<(error?: unknown) => void> = [];
  private check: NodeJS.Timeout | undefined;
  private closed = false;
  /** The statements sent so far, one after another (see send()). */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: pg.ClientConfig,
    /** How often the connection is checked, and how long the check may take (ms). */
    private readonly checkMs: number,
    /** The deadline of the LISTENs re-issued on a new connection (ms). */
    private readonly deadlineMs: number,
  ) {}

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.channels.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(onPayload);
    const client = await this.connected();
    if (first) await this.send(client, `LISTEN ${quoteIdentifier(channel)}`);
    return async () => {
      set!.delete(onPayload);
      if (set!.size === 0 && this.channels.get(channel) === set) {
        this.channels.delete(channel);
        // not awaited: on a dead LISTEN connection it would hang (close() follows at shutdown)
        if (this.client && !this.closed) void this.send(this.client, `UNLISTEN ${quoteIdentifier(channel)}`, this.checkMs).catch(() => {});
      }
    };
  }

  /**
   * Send `text` once the statements sent before it are answered: one query at a time on the client
   * (pg deprecates queueing a query on a busy client, and said so on stderr when several apps' UNLISTENs
   * went at once at shutdown). `timeoutMs` counts from this call, waiting included, so a probe stuck
   * behind a statement a half-open connection never answers still fails in time.
   */
  private send(client: pg.Client, text: string, timeoutMs?: number): Promise<unknown> {
    const turn = this.sending.then(() => client.query(text));
    this.sending = turn.then(
      () => {},
      () => {},
    );
    if (timeoutMs === undefined) return turn;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${text} within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([turn, late]).finally(() => clearTimeout(timer));
  }

  /** Called once the connection is back after a loss (notifications sent meanwhile are gone). */
  onReconnect(callback: () => void): void {
    this.reconnectCallbacks.push(callback);
  }

  /** Called when the connection is lost (it reconnects on its own). */
  onLost(callback: (error?: unknown) => void): void {
    this.lostCallbacks.push(callback);
  }

  /** End the connection: resolves once it said goodbye (a half-open one never does: see destroy()). */
  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.check);
    return this.client ? this.client.end().catch(() => {}) : Promise.resolve();
  }

  /** Drop the connection's socket at once (after close(), when the goodbye did not come in time). */
  destroy(): void {
    if (this.client) destroy(this.client);
  }

  /**
   * Ask the connection something every checkMs; no answer within the same time, replace it. LISTEN on
   * a channel already listened to is a no-op: a probe that also keeps the session's last query a
   * LISTEN (operators and test/fault/dropped-connections.test.ts find the session by it).
   */
  private probe(): void {
    const client = this.client;
    if (!client || this.closed) return;
    const channel = this.channels.keys().next().value;
    const text = channel === undefined ? 'SELECT 1' : `LISTEN ${quoteIdentifier(channel)}`;
    this.send(client, text, this.checkMs).catch(() => {
      if (this.client !== client) return;
      destroy(client); // its 'end' (or 'error') runs lost(): reconnect, then poll once
    });
  }

  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      const set = this.channels.get(msg.channel);
      if (set) for (const cb of set) cb(msg.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) {
        await client.query({ text: `LISTEN ${quoteIdentifier(channel)}`, query_timeout: this.deadlineMs } as pg.QueryConfig);
      }
    } catch (err) {
      destroy(client);
      throw err;
    }
    this.client = client;
    if (!this.check) {
      this.check = setInterval(() => this.probe(), this.checkMs);
      this.check.unref();
    }
    return client;
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => {});
    if (this.closed || this.channels.size === 0) return;
    for (const cb of this.lostCallbacks) cb(error);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let delay = 100; !this.closed; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        await this.connected();
        for (const cb of this.reconnectCallbacks) cb();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }
}

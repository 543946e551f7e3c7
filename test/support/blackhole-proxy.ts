/**
 * A TCP proxy in front of PostgreSQL that can make the connections open through it half-open: after
 * `blackhole()`, every byte on them is dropped in both directions, and nothing closes them (no FIN, no
 * RST), as after a failover or a NAT table losing its state. Connections opened afterwards are
 * forwarded normally (the database itself is healthy).
 */
import net from 'node:net';

interface Pair {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  dropped: boolean;
  /** The proxy's local port towards PostgreSQL (pg_stat_activity.client_port of the session). */
  upstreamPort?: number;
  openedAt: number;
}

export class BlackholeProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private nextId = 1;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    // allowHalfOpen: a FIN from the client is not answered with one (a dead path answers nothing)
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    const pair: Pair = { id: this.nextId++, client, upstream, dropped: false, openedAt: Date.now() };
    this.pairs.add(pair);
    upstream.on('connect', () => (pair.upstreamPort = upstream.localPort));
    client.on('data', (chunk) => pair.dropped || upstream.write(chunk));
    upstream.on('data', (chunk) => pair.dropped || client.write(chunk));
    client.on('end', () => pair.dropped || upstream.end());
    upstream.on('end', () => pair.dropped || client.end());
    const closeBoth = () => {
      this.pairs.delete(pair);
      // a half-open connection tells its client nothing, whatever happens behind it
      if (!pair.dropped) client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      this.pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', closeBoth);
    client.on('error', () => {});
    upstream.on('error', () => {});
  }

  /** Drop every byte, silently, on every connection open now. Returns how many there were. */
  blackhole(): number {
    let n = 0;
    for (const pair of this.pairs) {
      if (!pair.dropped) n++;
      pair.dropped = true;
    }
    return n;
  }

  /** Connections opened since `since` (epoch ms) that are still forwarded: their upstream ports. */
  healthyPortsSince(since: number): number[] {
    return [...this.pairs].filter((p) => !p.dropped && p.openedAt >= since && p.upstreamPort !== undefined).map((p) => p.upstreamPort!);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

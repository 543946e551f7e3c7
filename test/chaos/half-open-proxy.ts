/**
 * A TCP proxy in front of PostgreSQL, one per worker process, that can turn the connections it
 * carries half-open: `blackhole()` stops forwarding on every open connection in both directions and
 * sends nothing back (no FIN, no RST), as after a failover or a lost NAT entry. The worker's side stays
 * open and silent, its bytes read and dropped; the server's side is closed at once (the server has
 * noticed, as one with short TCP keepalives would), so a blackholed session holds no lock. New
 * connections go through as before.
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  server: net.Socket;
  blackholed: boolean;
}

export class HalfOpenProxy {
  private readonly pairs = new Set<Pair>();
  private readonly silenced = new Set<net.Socket>();
  private server: net.Server | undefined;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(private readonly targetPort: number) {}

  /** Listen on a free local port; answers it. */
  async listen(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const server = net.connect(this.targetPort, '127.0.0.1');
    const pair: Pair = { client, server, blackholed: false };
    this.pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on('data', (chunk) => {
      if (!pair.blackholed) server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (!pair.blackholed) client.write(chunk);
    });
    const close = () => {
      this.pairs.delete(pair);
      if (pair.blackholed) return; // the worker's side stays open and silent
      client.destroy();
      server.destroy();
    };
    client.on('close', () => {
      this.silenced.delete(client);
      close();
    });
    server.on('close', close);
    client.on('error', () => {});
    server.on('error', () => {});
  }

  /** Make every open connection half-open. Answers how many. */
  blackhole(): number {
    let n = 0;
    for (const pair of this.pairs) {
      pair.blackholed = true;
      this.silenced.add(pair.client);
      pair.server.destroy();
      n++;
    }
    this.pairs.clear();
    return n;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.server.destroy();
    }
    for (const socket of this.silenced) socket.destroy();
    this.pairs.clear();
    this.silenced.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

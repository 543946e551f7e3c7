/**
 * One writer process for test/context-concurrency.test.ts (spawned, never imported by a test):
 *
 *   node --import tsx test/support/context-writer-process.ts '<json WriterConfig>'
 *
 * Protocol. stdout: `READY` once connected; `ACK <json Ack>` per acknowledged op; `NACK <i> <error>`
 * for an op that failed for good; `PHASE1`; `BAD <json Ack>` per broken increment; `DONE`.
 * stdin: `GO` starts phase 1 (the real ops), `GO2` phase 2 (the broken read-modify-write increments,
 * on another job). Both barriers make the 16 processes really overlap.
 */
import readline from 'node:readline';
import { Client, MemFlow } from '../../src/index.js';
import { type Ack, brokenIncrement, issue } from './context-writers.js';

export interface WriterConfig {
  url: string;
  appId: string;
  jobId: string;
  brokenJobId: string;
  writer: number;
  ops: number;
  brokenOps: number;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WriterConfig;
  const lines = readline.createInterface({ input: process.stdin });
  const waiting = new Map<string, () => void>();
  const heard = new Set<string>();
  lines.on('line', (l) => {
    heard.add(l.trim());
    waiting.get(l.trim())?.();
  });
  const hear = (word: string) => (heard.has(word) ? Promise.resolve() : new Promise<void>((r) => waiting.set(word, r)));

  const client = new Client({ connection: { connectionString: cfg.url } });
  const ctx = await client.workflow.context(cfg.jobId, { namespace: cfg.appId, actor: `writer-${cfg.writer}` });
  const bad = await client.workflow.context(cfg.brokenJobId, { namespace: cfg.appId });
  await ctx.version(); // connect now, not in the measured phase
  say('READY');

  await hear('GO');
  for (let i = 0; i < cfg.ops; i++) {
    let ack: Ack;
    try {
      ack = await issue(ctx, cfg.writer, i);
    } catch (err) {
      say(`NACK ${i} ${JSON.stringify(String(err))}`);
      continue;
    }
    say(`ACK ${JSON.stringify(ack)}`);
  }
  say('PHASE1');

  await hear('GO2');
  for (let i = 0; i < cfg.brokenOps; i++) {
    try {
      say(`BAD ${JSON.stringify(await brokenIncrement(bad, cfg.writer, i))}`);
    } catch (err) {
      say(`NACK broken-${i} ${JSON.stringify(String(err))}`);
    }
  }
  say('DONE');
  lines.close();
  await MemFlow.shutdown();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);

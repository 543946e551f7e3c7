// Child process for data-dir-lock.test.ts: for each trial directory, wait until every contender has
// arrived (a file barrier, so they race within milliseconds), try to take the data-directory lock,
// and if it got it, record `in`/`out` lines around a short hold in the trial's shared log.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireDataDirLock } from '../../src/storage/pglite/data-dir-lock.js';

const [base, trialsArg, contendersArg, holdArg] = process.argv.slice(2);
const trials = Number(trialsArg);
const contenders = Number(contendersArg);
const holdMs = Number(holdArg);

async function barrier(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, String(process.pid)), '');
  const until = Date.now() + 30_000;
  while (fs.readdirSync(dir).length < contenders && Date.now() < until) await sleep(1);
}

for (let t = 0; t < trials; t++) {
  const trial = path.join(base, `trial-${t}`);
  await barrier(path.join(base, `barrier-${t}`));
  const log = path.join(trial, 'holders.log');
  try {
    const release = await acquireDataDirLock(path.join(trial, 'data'), 0);
    fs.appendFileSync(log, `in ${process.pid}\n`);
    await sleep(holdMs);
    fs.appendFileSync(log, `out ${process.pid}\n`);
    release();
  } catch (err) {
    if ((err as Error).name !== 'DataDirLockedError') {
      fs.appendFileSync(log, `error ${process.pid} ${(err as Error).stack}\n`);
    }
  }
}

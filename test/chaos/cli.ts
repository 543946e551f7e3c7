/**
 * `npm run chaos -- [--minutes N] [--seed S] [--backend postgres|pglite] [--control no-fence|drop-signal] [--profile short]`
 *
 * Prints the run's table and the oracle's checks. Exit code 0 when the oracle passed; with a
 * `--control`, 0 only when the oracle FAILED (the control showed that it can). SIGINT stops the
 * workers and removes the cluster before exiting.
 */
import { runChaos } from './chaos-run.js';
import { abortRuns } from './run-aborts.js';
import { parseArgs } from './chaos-options.js';
import { formatReport } from './report.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`chaos: ${signal}, removing the cluster\n`);
    abortRuns();
    process.exit(130);
  });
}

let options: ReturnType<typeof parseArgs>;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`chaos: ${(err as Error).message}`);
  console.error(
    'usage: npm run chaos -- [--minutes N] [--seed S] [--backend postgres|pglite] [--control no-fence|drop-signal] [--profile short] [--faults kind,...] [--burst N] [--timers N]',
  );
  process.exit(2);
}
try {
  const report = await runChaos(options);
  console.log(formatReport(report));
  console.log('');
  if (options.control) {
    if (report.passed) {
      console.log(`CONTROL FAILED: with --control ${options.control} the oracle still passed; it cannot see this fault.`);
      process.exit(1);
    }
    console.log(`CONTROL OK: with --control ${options.control} the oracle failed, as it must (${report.violations.length} violations).`);
    process.exit(0);
  }
  console.log(report.passed ? 'PASS: nothing lost, nothing done twice.' : `FAIL: ${report.violations.length} violations (seed ${options.seed}).`);
  process.exit(report.passed ? 0 : 1);
} catch (err) {
  console.error(`chaos: ${(err as Error).stack ?? err}`);
  abortRuns();
  process.exit(2);
}

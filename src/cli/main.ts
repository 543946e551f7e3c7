#!/usr/bin/env node
/**
 * The `hotmesh` bin (package.json `bin`, compiled to dist/cli/main.js). Waits at most 1 s for an
 * embedded data directory another process holds (HOTMESH_LOCK_WAIT_MS overrides), so a command
 * run next to a worker on the embedded database fails at once with the lock's reason, never hangs.
 */
import { runCli } from './program.js';

process.env.HOTMESH_LOCK_WAIT_MS ??= '1000';

// The reader went away (`hotmesh list | head -3`): the rest of the output is dropped, quietly, as Unix
// tools do (an unhandled EPIPE printed its stack), and the command closes what it opened as usual.
let readerGone = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  readerGone = true;
});

const write = (stream: NodeJS.WriteStream) => (text: string) => {
  if (stream === process.stdout && readerGone) return;
  stream.write(text);
};

const code = await runCli(process.argv.slice(2), { stdout: write(process.stdout), stderr: write(process.stderr) });
process.exitCode = code;
// Everything was closed; a handle left open (a pool's idle timer) must not keep the shell waiting.
setTimeout(() => process.exit(code), 1000).unref();

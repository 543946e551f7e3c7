/**
 * From an error a command threw to what the user sees: an exit code (exit-codes.ts), one line with
 * the reason on stderr, and for a few errors a second line with what to do. No stack unless
 * `--verbose`: the reason is what an operator acts on.
 */
import { CommanderError } from 'commander';
import { isHotMeshError } from '../errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface Failure {
  code: ExitCode;
  /** One line. */
  message: string;
  hint?: string;
}

const NOT_FOUND = new Set(['JobNotFoundError', 'AppNotFoundError']);

/** One line: a multi-line message (a database error's detail) is joined. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function describeFailure(err: unknown): Failure {
  if (err instanceof CommanderError) {
    // commander printed its own one-line message already
    return { code: err.exitCode === 0 ? EXIT.ok : EXIT.usage, message: '' };
  }
  const message = oneLine(err instanceof Error ? err.message : String(err)) || 'unknown error';
  if (isHotMeshError(err, 'ValidationError')) return { code: EXIT.usage, message }; // PayloadTooLargeError too
  if (isHotMeshError(err) && NOT_FOUND.has(err.kind)) return { code: EXIT.notFound, message };
  if (isHotMeshError(err, 'DataDirLockedError')) {
    return {
      code: EXIT.failed,
      message,
      hint:
        'stop the process that holds it (a worker on the embedded database) and run the command again, ' +
        'or run both on PostgreSQL (--url or DATABASE_URL). HOTMESH_LOCK_WAIT_MS sets how long to wait for it ' +
        `(this run waited ${process.env.HOTMESH_LOCK_WAIT_MS ?? '1000'} ms).`,
    };
  }
  return { code: EXIT.failed, message };
}

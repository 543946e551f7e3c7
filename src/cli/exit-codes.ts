/**
 * What the `hotmesh` CLI's exit status means, for scripts:
 *
 * - 0: done (`replay`: the code is compatible with the history);
 * - 1: the command failed (the database refused or could not be reached, the job is in a state the
 *   command does not apply to; `replay`: the code diverges from the history);
 * - 2: bad usage or input (an unknown option, a missing argument, JSON that does not parse), refused
 *   before anything was opened;
 * - 3: not found (no such job, no such app).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

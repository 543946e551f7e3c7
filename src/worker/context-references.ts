/**
 * A claimed thread's journal holds context results over 256 bytes as references (a context version
 * and a path, migration 0028), not values. Before the run replays, one statement reads a starting
 * document and the logged ops up to the last referenced version; this module applies them to one
 * working copy and hands each entry its own copy of the value it returned the first time. Rows
 * journaled before 0028 hold their values and are left as they are.
 */
import { cloneJson, ContextReplica, readPath } from '../context/context-replay.js';
import type { JournalEntry } from '../replay/journal-entry.js';
import * as context from '../sql/queries/context.js';
import type { CallSite } from './calls/call-site.js';

/** A journaled context result with no value: a reference (or a read that found nothing). */
function mayBeReference(entry: JournalEntry): boolean {
  return entry.kind === 'context' && entry.status === 'done' && entry.value === undefined;
}

/**
 * Fill in the values of the journal's context references (in place). With none, nothing to wait for:
 * undefined, no statement and no promise (most runs, a just-started job's always).
 */
export function resolveContextReferences(site: CallSite, journal: JournalEntry[]): Promise<void> | undefined {
  const candidates = journal.filter(mayBeReference);
  return candidates.length === 0 ? undefined : resolve(site, candidates);
}

async function resolve(site: CallSite, candidates: JournalEntry[]): Promise<void> {
  const bySeq = new Map(candidates.map((entry) => [entry.seq, entry]));
  const res = await site.query(context.contextThreadReplay, {
    jobId: site.task.jobId,
    thread: site.task.thread,
    seqs: [...bySeq.keys()],
  });
  const replica = new ContextReplica({});
  for (const row of res.rows) {
    if (row.kind === 'base') replica.doc = row.arg;
    else if (row.kind === 'op') replica.apply(row.op!, row.path!, row.arg);
    else {
      const entry = bySeq.get(row.seq!);
      if (entry) entry.value = cloneJson(readPath(replica.doc, row.path!));
    }
  }
}

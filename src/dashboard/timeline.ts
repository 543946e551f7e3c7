/**
 * The job page's timeline: each durable call as a bar, one lane per thread (main and each hook), and
 * within a lane one row per set of calls that overlap, so parallel branches (Promise.all over hooks,
 * activities or waits) show side by side.
 *
 * The journal records when a call's result was written (createdAt) and, for timers and retries, when
 * it falls due (dueAt); it does not record when the call was made. A thread makes a call after the
 * results it had been handed, so a call starts at the latest result of its thread delivered in an
 * earlier batch (or when the thread started) and ends when its result was written or fell due.
 */
import type { HistoryEntry } from '../manage/types.js';

export interface TimelineBar {
  thread: string;
  seq: number;
  kind: string;
  name: string;
  status: HistoryEntry['status'];
  attempt: number;
  error: string | null;
  startMs: number;
  endMs: number;
}

export interface TimelineLane {
  thread: string;
  /** Bars in rows; no two bars of one row overlap. */
  rows: TimelineBar[][];
}

export interface Timeline {
  startMs: number;
  endMs: number;
  lanes: TimelineLane[];
}

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function barsOf(thread: string, entries: HistoryEntry[], threadStartMs: number): TimelineBar[] {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  return sorted.map((e) => {
    let start = threadStartMs;
    for (const earlier of sorted) {
      if (earlier.seq >= e.seq) break;
      const delivered = earlier.batch !== null && (e.batch === null || earlier.batch < e.batch);
      const at = ms(earlier.createdAt);
      if (delivered && at !== null && at > start) start = at;
    }
    const written = ms(e.createdAt) ?? start;
    const end = Math.max(written, ms(e.dueAt) ?? written, start);
    return {
      thread,
      seq: e.seq,
      kind: e.kind,
      name: e.name,
      status: e.status,
      attempt: e.attempt,
      error: e.error?.message ?? null,
      startMs: Math.min(start, end),
      endMs: end,
    };
  });
}

/** Greedy rows: a bar goes in the first row whose last bar ended before it started. */
function rowsOf(bars: TimelineBar[]): TimelineBar[][] {
  const rows: TimelineBar[][] = [];
  for (const bar of [...bars].sort((a, b) => a.startMs - b.startMs || a.seq - b.seq)) {
    const row = rows.find((r) => r[r.length - 1]!.endMs <= bar.startMs);
    if (row) row.push(bar);
    else rows.push([bar]);
  }
  return rows;
}

/**
 * `threadStarts`: when each thread began (ISO); a thread without one starts at its first result.
 * Lanes come in the order of `threadStarts`, then the rest by name, main first.
 */
export function buildTimeline(entries: HistoryEntry[], threadStarts: Record<string, string>): Timeline {
  const byThread = new Map<string, HistoryEntry[]>();
  for (const thread of Object.keys(threadStarts)) byThread.set(thread, []);
  for (const e of entries) {
    if (!byThread.has(e.thread)) byThread.set(e.thread, []);
    byThread.get(e.thread)!.push(e);
  }
  const lanes: TimelineLane[] = [];
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const [thread, list] of byThread) {
    const firstWritten = Math.min(...list.map((e) => ms(e.createdAt) ?? Number.POSITIVE_INFINITY));
    const threadStart = ms(threadStarts[thread] ?? null) ?? firstWritten;
    const bars = Number.isFinite(threadStart) ? barsOf(thread, list, threadStart) : [];
    for (const b of bars) {
      startMs = Math.min(startMs, b.startMs);
      endMs = Math.max(endMs, b.endMs);
    }
    lanes.push({ thread, rows: rowsOf(bars) });
  }
  if (!Number.isFinite(startMs)) startMs = endMs = 0;
  return { startMs, endMs, lanes };
}

-- 0028: a context op journals a reference to a context version, not the document (issue 7, fault 8).
--
-- set / merge / delete return the whole document, and their journal rows held it: 40 merges of 20 KB
-- wrote 16.4 MB of journal for a 0.8 MB context, and every claim of the thread read it all again.
-- Now a result larger than 256 bytes is journaled as (context_version, context_path): "the value at
-- this path of the document at this version" (the whole document for set / merge / delete), and the
-- row's result stays NULL. Replay rebuilds those values from the context log, which holds every op
-- that ever changed the document: one statement per claim (context_thread_replay) answers a starting
-- document and the logged ops up to each referenced version, and the worker applies them to its own
-- copy (src/context/context-replay.ts), where an op costs what it changes, not the document's size
-- (applying them in SQL rewrites the whole jsonb per op: 40 merges of 20 KB took ~140 ms). A claim
-- thus reads about as many bytes as the context holds. Rows journaled before this migration keep
-- their documents and are read as they are. Small results (a counter, a flag, a short array) are
-- journaled as values, as before: nothing to rebuild.
--
-- An increment's result is a numeric sum that JavaScript numbers cannot reproduce exactly, so the log
-- now keeps it (context_log.result, until now kept only for ops with an op id); for increments logged
-- before this migration the replay statement computes it from the log (context_at).
--
-- Checkpoints: the log starts at version 0, so a thread's op after many ops by others (an entity
-- updated from outside for years) would ship them all on every claim. A journaled reference therefore
-- writes the document as a checkpoint when the newest checkpoint (or version 0) is 32 or more
-- versions behind it; a replay starts from a checkpoint rather than ship 32 or more ops.

ALTER TABLE {{schema}}.journal ADD COLUMN context_version bigint, ADD COLUMN context_path text[];

CREATE TABLE {{schema}}.context_checkpoints (
  job_id  text NOT NULL,
  version bigint NOT NULL,
  context jsonb NOT NULL,
  PRIMARY KEY (job_id, version)
);

-- Journal what a context op (or read) at (p_seq, p_batch) returned: `p_value`, the value at `p_path`
-- of `p_doc`, the document at version `p_version`. The caller holds the lease.
CREATE FUNCTION {{schema}}.context_journal(
  p_job text, p_thread text, p_seq int, p_batch int, p_name text,
  p_value jsonb, p_doc jsonb, p_version bigint, p_path text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_value IS NULL OR pg_column_size(p_value) <= 256 THEN
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
    VALUES (p_job, p_thread, p_seq, 'context', p_name, 'done', p_value, p_batch);
    RETURN;
  END IF;
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch, context_version, context_path)
  VALUES (p_job, p_thread, p_seq, 'context', p_name, 'done', NULL, p_batch, p_version, p_path);
  IF p_version - coalesce((SELECT max(c.version) FROM {{schema}}.context_checkpoints c
                            WHERE c.job_id = p_job AND c.version <= p_version), 0) >= 32 THEN
    INSERT INTO {{schema}}.context_checkpoints (job_id, version, context) VALUES (p_job, p_version, p_doc)
    ON CONFLICT DO NOTHING;
  END IF;
END
$$;

-- An op from outside (0006's), now keeping an increment's result in the log.
CREATE OR REPLACE FUNCTION {{schema}}.context_op(
  p_job text, p_op text, p_path text[], p_arg jsonb, p_cap int, p_op_id text, p_actor text,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_ctx jsonb;
  v_version bigint;
BEGIN
  IF p_op_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM {{schema}}.context_log l WHERE l.job_id = p_job AND l.op_id = p_op_id) THEN
    RETURN;
  END IF;
  UPDATE {{schema}}.jobs j
     SET context = {{schema}}.context_apply(j.context, p_op, p_path, p_arg, p_cap),
         context_version = j.context_version + 1, updated_at = now()
   WHERE j.id = p_job
  RETURNING j.context, j.context_version INTO v_ctx, v_version;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  value := CASE WHEN p_op IN ('set', 'merge', 'delete') THEN v_ctx ELSE {{schema}}.context_get_path(v_ctx, p_path) END;
  INSERT INTO {{schema}}.context_log (job_id, version, op, path, arg, actor, op_id, result)
  VALUES (p_job, v_version, p_op, p_path, p_arg, p_actor, p_op_id,
          CASE WHEN p_op_id IS NOT NULL OR p_op = 'increment' THEN value END);
  undef := value IS NULL;
  version := v_version::text;
  RETURN NEXT;
END
$$;

-- An op from inside a thread (0012's, journaling through context_journal).
CREATE OR REPLACE FUNCTION {{schema}}.context_op_in_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_batch int,
  p_op text, p_path text[], p_arg jsonb, p_cap int,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_doc jsonb;
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  -- the same op as from outside (no op id: the journal's key makes it apply once), by this thread
  SELECT o.value, o.undef, o.version INTO value, undef, version
    FROM {{schema}}.context_op(p_job, p_op, p_path, p_arg, p_cap, NULL, p_thread) o;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF p_op IN ('set', 'merge', 'delete') THEN
    v_doc := value;
  ELSE
    SELECT j.context INTO v_doc FROM {{schema}}.jobs j WHERE j.id = p_job; -- locked by the op's UPDATE
  END IF;
  PERFORM {{schema}}.context_journal(p_job, p_thread, p_seq, p_batch, p_op, value, v_doc, version::bigint,
    CASE WHEN p_op IN ('set', 'merge', 'delete') THEN '{}'::text[] ELSE p_path END);
  RETURN NEXT;
END
$$;

-- A read from inside a thread, fenced, journaled at (p_seq, p_batch). No row back: the lease was lost.
CREATE FUNCTION {{schema}}.context_get_in_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_batch int, p_path text[],
  OUT value jsonb, OUT undef boolean)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_doc jsonb;
  v_version bigint;
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  SELECT j.context, j.context_version INTO v_doc, v_version FROM {{schema}}.jobs j WHERE j.id = p_job;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  value := {{schema}}.context_get_path(v_doc, p_path);
  undef := value IS NULL;
  PERFORM {{schema}}.context_journal(p_job, p_thread, p_seq, p_batch, 'get', value, v_doc, v_version, p_path);
  RETURN NEXT;
END
$$;

-- How to rebuild the values of a thread's journaled references at seqs `p_seqs`, as rows in order
-- `n`: 'base' (a document `arg` at `version`: a checkpoint, or {} at 0), 'op' (the logged op that
-- made `version`: `op`, `path`, and `arg`, or for an increment its result), 'ref' (the reference at
-- `seq`: the value at `path` of the document at `version`, which the rows before it have built).
-- Raises HM004 when the log misses a version it needs.
CREATE FUNCTION {{schema}}.context_thread_replay(p_job text, p_thread text, p_seqs int[])
RETURNS TABLE (n int, kind text, seq int, version bigint, op text, path text[], arg jsonb)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
  r record;
  l record;
  at_version bigint := -1;
  cp_version bigint;
  cp_doc jsonb;
  walked bigint;
BEGIN
  n := 0;
  FOR r IN
    SELECT j.seq AS s, j.context_version AS v, j.context_path AS p FROM {{schema}}.journal j
     WHERE j.job_id = p_job AND j.thread = p_thread AND j.seq = ANY(p_seqs) AND j.context_version IS NOT NULL
     ORDER BY j.context_version, j.seq
  LOOP
    IF r.v <> at_version THEN
      cp_version := NULL;
      cp_doc := NULL;
      SELECT c.version, c.context INTO cp_version, cp_doc FROM {{schema}}.context_checkpoints c
       WHERE c.job_id = p_job AND c.version <= r.v ORDER BY c.version DESC LIMIT 1;
      IF at_version < 0 OR cp_version - at_version >= 32 THEN
        at_version := coalesce(cp_version, 0);
        n := n + 1; kind := 'base'; seq := NULL; version := at_version; op := NULL; path := NULL;
        arg := coalesce(cp_doc, '{}');
        RETURN NEXT;
      END IF;
      walked := 0;
      FOR l IN
        SELECT g.version AS v, g.op AS o, g.path AS p, g.arg AS a, g.result AS res FROM {{schema}}.context_log g
         WHERE g.job_id = p_job AND g.version > at_version AND g.version <= r.v ORDER BY g.version
      LOOP
        n := n + 1; kind := 'op'; seq := NULL; version := l.v; op := l.o; path := l.p;
        arg := CASE WHEN l.o <> 'increment' THEN l.a
                    ELSE coalesce(l.res, {{schema}}.context_get_path({{schema}}.context_at(p_job, l.v), l.p)) END;
        RETURN NEXT;
        walked := walked + 1;
      END LOOP;
      IF walked <> r.v - at_version THEN
        RAISE EXCEPTION 'context log of job % misses versions between % and %', p_job, at_version, r.v
          USING ERRCODE = 'HM004';
      END IF;
      at_version := r.v;
    END IF;
    n := n + 1; kind := 'ref'; seq := r.s; version := r.v; op := NULL; path := r.p; arg := NULL;
    RETURN NEXT;
  END LOOP;
END
$$;

-- 0001: the engine's tables for one app. {{schema}} is the app's schema and {{channel}} its NOTIFY
-- channel, both validated and quoted by storage/sql-identifier.ts before they are substituted. Append-only: never edit a released migration.

-- A job: the permanent record of one workflow id, with its JSON context (the memory hooks share).
CREATE TABLE {{schema}}.jobs (
  id              text PRIMARY KEY,
  entity          text,
  workflow_name   text NOT NULL,
  task_queue      text NOT NULL,
  status          text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'parked')),
  input           jsonb NOT NULL DEFAULT '[]',
  output          jsonb,
  error           jsonb,
  context         jsonb NOT NULL DEFAULT '{}',
  context_version bigint NOT NULL DEFAULT 0,
  search          jsonb NOT NULL DEFAULT '{}',
  options         jsonb NOT NULL DEFAULT '{}',
  parent_id       text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  expire_at       timestamptz
);
CREATE INDEX jobs_entity ON {{schema}}.jobs (entity, created_at DESC) WHERE entity IS NOT NULL;
CREATE INDEX jobs_expire ON {{schema}}.jobs (expire_at) WHERE expire_at IS NOT NULL;

-- A thread: one execution on a job, the workflow itself ('main') or one hook run.
CREATE TABLE {{schema}}.threads (
  job_id        text NOT NULL,
  thread        text NOT NULL,
  workflow_name text NOT NULL,
  task_queue    text NOT NULL,
  args          jsonb NOT NULL DEFAULT '[]',
  status        text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'parked')),
  failures      int NOT NULL DEFAULT 0,
  output        jsonb,
  error         jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  PRIMARY KEY (job_id, thread)
);

-- The journal: one row per durable call result, keyed by (job, thread, seq), with the call's kind
-- and name so replay can tell when the code no longer makes the same call.
--   status 'done'   result is the value (SQL NULL = undefined); deliverable once due_at has passed
--   status 'failed' result is the serialized error
--   status 'retry'  an activity attempt failed; attempt n+1 may run at due_at
--   batch           the delivery batch that handed this result to the function (NULL until then):
--                   replay hands results back in the same batches, so interleavings repeat exactly
CREATE TABLE {{schema}}.journal (
  job_id     text NOT NULL,
  thread     text NOT NULL,
  seq        int NOT NULL,
  kind       text NOT NULL,
  name       text NOT NULL,
  status     text NOT NULL CHECK (status IN ('done', 'failed', 'retry')),
  result     jsonb,
  attempt    int NOT NULL DEFAULT 1,
  batch      int,
  due_at     timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, thread, seq)
);

-- Runnable work. A thread task (seq 0) runs a thread; an activity task runs one remote activity.
-- run_at is the only readiness test: a claim pushes it to the lease end, so an expired lease makes
-- the task claimable again with no sweeper. `claims` counts claims and doubles as the fencing token:
-- every write a worker makes names the claims value it holds.
CREATE TABLE {{schema}}.tasks (
  id          bigserial PRIMARY KEY,
  job_id      text NOT NULL,
  thread      text NOT NULL,
  seq         int NOT NULL DEFAULT 0,
  kind        text NOT NULL CHECK (kind IN ('thread', 'activity')),
  topic       text NOT NULL,
  run_at      timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  claims      int NOT NULL DEFAULT 0,
  wakeups     int NOT NULL DEFAULT 0,
  payload     jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, thread, seq)
);
CREATE INDEX tasks_ready ON {{schema}}.tasks (topic, run_at);

-- Signals sent before anyone waited (job_id NULL: addressed to the whole app).
CREATE TABLE {{schema}}.signals (
  id         bigserial PRIMARY KEY,
  job_id     text,
  signal_id  text NOT NULL,
  data       jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signals_by_id ON {{schema}}.signals (signal_id, job_id, id);

-- Threads suspended in waitFor.
CREATE TABLE {{schema}}.waiters (
  job_id     text NOT NULL,
  thread     text NOT NULL,
  seq        int NOT NULL,
  signal_id  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, thread, seq)
);
CREATE INDEX waiters_by_signal ON {{schema}}.waiters (signal_id, job_id);

-- Every context change: the audit trail and the means of time travel (replay ops up to version N).
CREATE TABLE {{schema}}.context_log (
  job_id     text NOT NULL,
  version    bigint NOT NULL,
  op         text NOT NULL,
  path       text[] NOT NULL,
  arg        jsonb,
  actor      text NOT NULL,
  op_id      text,
  result     jsonb, -- kept only for ops with an op_id, so a retried op returns what it returned first
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, version)
);
CREATE UNIQUE INDEX context_log_op_id ON {{schema}}.context_log (job_id, op_id) WHERE op_id IS NOT NULL;

-- Wake a thread: make its task runnable now, or, while a worker holds it, count the wake-up so the
-- holder re-runs the thread when it releases. Workers of the topic hear about it through NOTIFY.
CREATE FUNCTION {{schema}}.wake_thread(p_job text, p_thread text) RETURNS void
LANGUAGE sql AS $$
  WITH woken AS (
    UPDATE {{schema}}.tasks
       SET wakeups = wakeups + 1,
           run_at = CASE WHEN lease_owner IS NULL THEN least(run_at, now()) ELSE run_at END
     WHERE job_id = p_job AND thread = p_thread AND seq = 0
    RETURNING topic, lease_owner IS NULL AS ready
  )
  SELECT pg_notify({{channel}}, topic) FROM woken WHERE ready;
$$;

-- Deliver a signal. Addressed to a job: the job's newest waiter on that id gets it (a waitFor that
-- lost a Promise.race stays registered; the live one is the newest), skipping a waiter whose seq is
-- already journaled. Addressed to the
-- app (p_job NULL): every thread of the app waiting on that id gets it. With no waiter it is buffered
-- for the next waitFor. Returns how many waiters received it.
-- The advisory locks serialise delivery with wait_for_signal on the same (job, signal id); without
-- them a send and a wait racing under READ COMMITTED could each miss the other.
CREATE FUNCTION {{schema}}.deliver_signal(p_job text, p_signal text, p_data jsonb) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  delivered int := 0;
  w record;
BEGIN
  IF p_job IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_signal, 0));
  ELSE
    PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_job || ':' || p_signal, 0));
  END IF;
  FOR w IN
    SELECT job_id, thread, seq FROM {{schema}}.waiters
     WHERE signal_id = p_signal AND (p_job IS NULL OR job_id = p_job)
     -- app-wide: every waiter, in one fixed order, so two deliveries lock task rows alike (no deadlock)
     ORDER BY CASE WHEN p_job IS NULL THEN job_id END, CASE WHEN p_job IS NULL THEN thread END,
              created_at DESC, seq DESC
  LOOP
    DELETE FROM {{schema}}.waiters WHERE job_id = w.job_id AND thread = w.thread AND seq = w.seq;
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
    VALUES (w.job_id, w.thread, w.seq, 'wait', p_signal, 'done', p_data)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      PERFORM {{schema}}.wake_thread(w.job_id, w.thread);
      delivered := delivered + 1;
      EXIT WHEN p_job IS NOT NULL; -- a job-addressed signal is consumed once
    END IF;
  END LOOP;
  IF delivered = 0 THEN
    INSERT INTO {{schema}}.signals (job_id, signal_id, data) VALUES (p_job, p_signal, p_data);
  END IF;
  RETURN delivered;
END
$$;

-- A thread reached waitFor(p_signal) at p_seq. Consume the oldest buffered signal for this job (or,
-- failing that, for the app) and journal it in delivery batch p_batch; otherwise register the waiter.
-- Fenced: does nothing unless the caller still holds the task's lease (p_task, p_claims).
CREATE FUNCTION {{schema}}.wait_for_signal(
  p_job text, p_thread text, p_seq int, p_signal text, p_batch int, p_task bigint, p_claims int,
  OUT o_found boolean, OUT o_data jsonb, OUT o_fenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
  sig record;
BEGIN
  o_found := false;
  o_fenced := NOT EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims);
  IF o_fenced THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_signal, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_job || ':' || p_signal, 0));
  -- Delivered to this very wait since the caller loaded its journal: hand it over in this batch.
  UPDATE {{schema}}.journal SET batch = p_batch
   WHERE job_id = p_job AND thread = p_thread AND seq = p_seq AND batch IS NULL
  RETURNING journal.result INTO o_data;
  IF FOUND THEN
    o_found := true;
    RETURN;
  END IF;
  DELETE FROM {{schema}}.signals
   WHERE id = (SELECT id FROM {{schema}}.signals
                WHERE signal_id = p_signal AND (job_id = p_job OR job_id IS NULL)
                ORDER BY (job_id IS NULL), id LIMIT 1)
  RETURNING signals.data INTO sig;
  IF FOUND THEN
    o_found := true;
    o_data := sig.data;
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
    VALUES (p_job, p_thread, p_seq, 'wait', p_signal, 'done', o_data, p_batch);
    DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread AND seq = p_seq;
  ELSE
    INSERT INTO {{schema}}.waiters (job_id, thread, seq, signal_id)
    VALUES (p_job, p_thread, p_seq, p_signal) ON CONFLICT DO NOTHING;
  END IF;
END
$$;

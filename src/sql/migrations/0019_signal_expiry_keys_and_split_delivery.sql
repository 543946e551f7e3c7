-- 0019: signals from outside (issue 7).
--
-- 1. A signal to a job that does not exist, or to a job none of whose threads can receive it any
--    more (it finished and no hook of it is running), was buffered forever. signal_job() refuses
--    both; the client raises JobNotFoundError / JobFinishedError. A hook running on a finished job
--    is a running thread: its signals are delivered or kept as before.
-- 2. Buffered signals expire: `expire_at` (NULL: no deadline of its own). The client gives app-wide
--    signals a deadline (7 days by default); a job-addressed one is also dropped once no thread of
--    its job is running or parked (the worker's sweep, queries/signals.ts sweepSignals). A waitFor
--    never consumes an expired signal, whenever the sweep runs.
-- 3. Idempotency keys: a signal sent with a key is recorded in signal_keys (per job, or '' for the
--    app, and signal id); the same key again is a retry and applies nothing. Keys are swept after a
--    retention period (the client's, 7 days).
-- 4. deliver_signal's waiter scan was one statement for both addressings, `(p_job IS NULL OR job_id =
--    p_job)`: under a generic plan it scanned every waiter of the signal id and filtered (15-21 ms at
--    100k waiters of one id, plan_cache_mode = force_generic_plan). The two addressings are now two
--    statements, each planned for its own index condition. wait_for_signal's buffered-signal lookup,
--    `(job_id = p_job OR job_id IS NULL)`, is split the same way.

ALTER TABLE {{schema}}.signals ADD COLUMN expire_at timestamptz;
CREATE INDEX signals_expire ON {{schema}}.signals (expire_at) WHERE expire_at IS NOT NULL;

CREATE TABLE {{schema}}.signal_keys (
  job_id     text NOT NULL, -- '' for an app-wide signal
  signal_id  text NOT NULL,
  signal_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, signal_id, signal_key)
);
CREATE INDEX signal_keys_age ON {{schema}}.signal_keys (created_at);

-- Hand a signal to the waiters it is addressed to, and answer how many got it (the caller holds the
-- advisory lock of 0001's deliver_signal). To a job: its newest waiter on that id whose seq is not
-- journaled yet. To the app (p_job NULL): every waiter on that id, in one fixed order, so that two
-- deliveries lock task rows alike (no deadlock).
CREATE FUNCTION {{schema}}.deliver_to_waiters(p_job text, p_signal text, p_data jsonb) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  delivered int := 0;
  w record;
BEGIN
  IF p_job IS NULL THEN
    FOR w IN
      SELECT job_id, thread, seq FROM {{schema}}.waiters
       WHERE signal_id = p_signal
       ORDER BY job_id, thread, created_at DESC, seq DESC
    LOOP
      DELETE FROM {{schema}}.waiters WHERE job_id = w.job_id AND thread = w.thread AND seq = w.seq;
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
      VALUES (w.job_id, w.thread, w.seq, 'wait', p_signal, 'done', p_data)
      ON CONFLICT DO NOTHING;
      IF FOUND THEN
        PERFORM {{schema}}.wake_thread(w.job_id, w.thread);
        delivered := delivered + 1;
      END IF;
    END LOOP;
  ELSE
    FOR w IN
      SELECT job_id, thread, seq FROM {{schema}}.waiters
       WHERE signal_id = p_signal AND job_id = p_job
       ORDER BY created_at DESC, seq DESC
    LOOP
      DELETE FROM {{schema}}.waiters WHERE job_id = w.job_id AND thread = w.thread AND seq = w.seq;
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
      VALUES (w.job_id, w.thread, w.seq, 'wait', p_signal, 'done', p_data)
      ON CONFLICT DO NOTHING;
      IF FOUND THEN
        PERFORM {{schema}}.wake_thread(w.job_id, w.thread);
        RETURN 1; -- a job-addressed signal is consumed once
      END IF;
    END LOOP;
  END IF;
  RETURN delivered;
END
$$;

-- A signal from inside a thread (to its job, or the job an execHook reply goes to): same semantics
-- as 0001's, through the split delivery. With no waiter it is kept, with no deadline of its own.
CREATE OR REPLACE FUNCTION {{schema}}.deliver_signal(p_job text, p_signal text, p_data jsonb) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  delivered int;
BEGIN
  IF p_job IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_signal, 0));
  ELSE
    PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_job || ':' || p_signal, 0));
  END IF;
  delivered := {{schema}}.deliver_to_waiters(p_job, p_signal, p_data);
  IF delivered = 0 THEN
    INSERT INTO {{schema}}.signals (job_id, signal_id, data) VALUES (p_job, p_signal, p_data);
  END IF;
  RETURN delivered;
END
$$;

-- A signal from outside to job p_job. Answers what happened:
--   'delivered' a waiter got it;  'kept' buffered for the job's next waitFor (until p_expire seconds
--   if given, and while a thread of the job runs);  'duplicate' p_key was seen before: nothing done;
--   'not-found' no such job;  'finished' no thread of the job is running or parked: nothing could
--   receive it. Neither refusal records the key.
CREATE FUNCTION {{schema}}.signal_job(p_job text, p_signal text, p_data jsonb, p_key text, p_expire float8)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_job || ':' || p_signal, 0));
  IF p_key IS NOT NULL THEN
    INSERT INTO {{schema}}.signal_keys (job_id, signal_id, signal_key) VALUES (p_job, p_signal, p_key)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN 'duplicate';
    END IF;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM {{schema}}.threads WHERE job_id = p_job AND status IN ('running', 'parked')) THEN
    DELETE FROM {{schema}}.signal_keys WHERE job_id = p_job AND signal_id = p_signal AND signal_key = p_key;
    RETURN CASE WHEN EXISTS (SELECT 1 FROM {{schema}}.jobs WHERE id = p_job) THEN 'finished' ELSE 'not-found' END;
  END IF;
  IF {{schema}}.deliver_to_waiters(p_job, p_signal, p_data) > 0 THEN
    RETURN 'delivered';
  END IF;
  INSERT INTO {{schema}}.signals (job_id, signal_id, data, expire_at)
  VALUES (p_job, p_signal, p_data, CASE WHEN p_expire IS NULL THEN NULL ELSE now() + make_interval(secs => p_expire) END);
  RETURN 'kept';
END
$$;

-- A signal from outside to every thread of the app waiting on p_signal: 'delivered', 'kept' (until
-- p_expire seconds, NULL: no deadline) or 'duplicate', as signal_job.
CREATE FUNCTION {{schema}}.signal_app(p_signal text, p_data jsonb, p_key text, p_expire float8)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_signal, 0));
  IF p_key IS NOT NULL THEN
    INSERT INTO {{schema}}.signal_keys (job_id, signal_id, signal_key) VALUES ('', p_signal, p_key)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN 'duplicate';
    END IF;
  END IF;
  IF {{schema}}.deliver_to_waiters(NULL, p_signal, p_data) > 0 THEN
    RETURN 'delivered';
  END IF;
  INSERT INTO {{schema}}.signals (job_id, signal_id, data, expire_at)
  VALUES (NULL, p_signal, p_data, CASE WHEN p_expire IS NULL THEN NULL ELSE now() + make_interval(secs => p_expire) END);
  RETURN 'kept';
END
$$;

-- 0012's wait_for_signal, consuming only signals that have not expired, the job's own first and then
-- the app's, each with its own index lookup.
CREATE OR REPLACE FUNCTION {{schema}}.wait_for_signal(
  p_job text, p_thread text, p_seq int, p_signal text, p_batch int, p_task bigint, p_claims int,
  OUT o_found boolean, OUT o_data jsonb, OUT o_fenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
  sig record;
BEGIN
  o_found := false;
  o_fenced := NOT {{schema}}.lease_held(p_task, p_claims);
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
                WHERE signal_id = p_signal AND job_id = p_job AND (expire_at IS NULL OR expire_at > now())
                ORDER BY id LIMIT 1)
  RETURNING signals.data INTO sig;
  IF NOT FOUND THEN
    DELETE FROM {{schema}}.signals
     WHERE id = (SELECT id FROM {{schema}}.signals
                  WHERE signal_id = p_signal AND job_id IS NULL AND (expire_at IS NULL OR expire_at > now())
                  ORDER BY id LIMIT 1)
    RETURNING signals.data INTO sig;
  END IF;
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

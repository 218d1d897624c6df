-- What runs next, derived from committed task state: a row per started run, written in the
-- transaction that queues the task (START, an approval that starts, a follow-up) and taken in the
-- transaction that claims it. The queue is fed from here, so a lost queue file is rebuilt from it.
-- A follow-up's reply travels in its row (it replaces tasks.follow_up, which served as a mailbox).
CREATE TABLE run_outbox (
  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  run INTEGER NOT NULL,
  follow_up TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (task_id, run)
);

INSERT INTO run_outbox (task_id, run, follow_up, created_at)
SELECT id, json_extract(machine_snapshot, '$.context.starts'), follow_up, updated_at
FROM tasks
WHERE status = 'queued' AND json_extract(machine_snapshot, '$.value.queued') = 'waiting';

ALTER TABLE tasks DROP COLUMN follow_up;

-- Lookups that read whole tables, each given the index that finds its rows directly.
--
-- Every column that points at another row: deleting the row it points at looks its children up
-- by that column (ON DELETE CASCADE), and without an index SQLite reads the whole child table once
-- per deleted parent. Deleting a task with 3 attempts read every check run three times: 43 ms at
-- 60,000 check runs, with the write lock held; 0.15 ms with the index.
CREATE INDEX check_runs_by_attempt ON check_runs (attempt_id);
CREATE INDEX forced_merges_by_task ON forced_merges (task_id);

-- The agent session list links sessions to their tasks by session id: a scan of every task
-- (15 ms at 10,000 tasks) for each 500 sessions listed.
CREATE INDEX tasks_by_runner_session ON tasks (runner_session_id) WHERE runner_session_id IS NOT NULL;

-- A runner host's live attempts and those that ended without its report, asked at each of its
-- heartbeats: through the host index they read, filtered and sorted every attempt the host ever
-- ran (13 and 9 ms at 30,000). These hold only the attempts each question is about, in order.
CREATE INDEX live_attempts_by_host ON task_attempts (runner_host_id, started_at)
  WHERE status IN ('running', 'needs-input');
CREATE INDEX unreported_attempts_by_host ON task_attempts (runner_host_id, started_at)
  WHERE runner_host_id IS NOT NULL AND finished_at IS NOT NULL AND remote_outcome_json IS NULL;

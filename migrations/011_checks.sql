-- Checks and the fix loop (issue 16). A workspace and a task name checks ({name, command,
-- timeout_seconds}); a task carries acceptance criteria. Each round of checks on an attempt is a
-- check_runs row with one check_results row per check (its verdict, exit status, duration and the
-- tail of its output) and, once the reviewer graded the diff, one criterion_grades row per
-- criterion. A merge forced past the gate is kept with who forced it, why, and what had not passed.
ALTER TABLE workspaces ADD COLUMN checks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN checks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN criteria_json TEXT NOT NULL DEFAULT '[]';

CREATE TABLE check_runs (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt_id TEXT NOT NULL REFERENCES task_attempts (id) ON DELETE CASCADE,
  -- attempt, fix-round or manual
  trigger TEXT NOT NULL,
  fix_round INTEGER NOT NULL DEFAULT 0,
  -- running, passed, failed, stopped
  status TEXT NOT NULL,
  -- fixing, passed, exhausted; null without fix rounds
  fix_loop TEXT,
  review_error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX check_runs_by_task ON check_runs (task_id, started_at);

CREATE TABLE check_results (
  run_id TEXT NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  command TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  -- pending, running, passed, failed, timed_out
  verdict TEXT NOT NULL,
  exit_status TEXT,
  duration_ms INTEGER,
  output_tail TEXT NOT NULL DEFAULT '',
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (run_id, position)
);

CREATE TABLE criterion_grades (
  run_id TEXT NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  criterion TEXT NOT NULL,
  -- met, not_met, unclear
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
);

CREATE TABLE forced_merges (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  forced_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  -- the checks that had not passed, by name, and the round they were in (null: never ran)
  failed_checks_json TEXT NOT NULL,
  check_run_id TEXT,
  created_at TEXT NOT NULL
);

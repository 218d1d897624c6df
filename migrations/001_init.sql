-- The task store. Column names are the original openRuntime's, so its API shape maps 1:1.
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  prompt TEXT NOT NULL DEFAULT '',
  runner TEXT NOT NULL,
  command TEXT NOT NULL DEFAULT '',
  workspace TEXT NOT NULL,
  worktree_path TEXT,
  execution_workspace TEXT,
  runner_session_id TEXT,
  base_commit TEXT,
  diff_stat TEXT,
  approved_at TEXT,
  worktree_merged_at TEXT,
  worktree_cleaned_at TEXT,
  status TEXT NOT NULL,
  budget_minutes INTEGER NOT NULL,
  policy_json TEXT NOT NULL,
  effective_policy_json TEXT,
  cost_ledger_json TEXT NOT NULL DEFAULT '{}',
  -- The task machine's persisted XState snapshot; status above is its denormalised top-level state.
  machine_snapshot TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX tasks_by_updated ON tasks (updated_at DESC, id DESC);
CREATE INDEX tasks_by_status ON tasks (status, updated_at DESC);

CREATE TABLE task_attempts (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt_number INTEGER NOT NULL,
  runner TEXT NOT NULL,
  status TEXT NOT NULL,
  execution_workspace TEXT,
  runner_session_id TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  exit_status TEXT,
  summary TEXT,
  UNIQUE (task_id, attempt_number)
);

-- Append-only timeline. seq orders events within a task and only grows.
-- attempt_id is deliberately not a foreign key: attempts only disappear with their task,
-- and an ON DELETE SET NULL would need an extra index on the hottest insert path.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  attempt_id TEXT,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  metadata_json TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (task_id, seq)
);

CREATE TABLE workspaces (
  path TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- What the server was about to do to a repository (merge, cleanup, restore) when git acts before
-- the database: written before git touches anything, removed in the transaction that records the
-- outcome. One left behind after a crash tells recovery what to roll back or complete.
CREATE TABLE task_intents (
  task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('merge', 'cleanup', 'restore')),
  plan_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);

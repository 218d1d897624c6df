-- Review that closes the loop (issue 16, items 5–7).
--
-- Comments on lines of a task's diff: a file, a side (old, new) and a line, or only a file. What
-- the diff showed there when the comment was made (the line and a few lines around it) is kept
-- with it, so a later attempt that changed that hunk can be told apart (outdated), and so the
-- follow-up that sends the comments to the agent can quote them.
CREATE TABLE review_comments (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  author TEXT NOT NULL,
  path TEXT NOT NULL,
  side TEXT,
  line INTEGER,
  body TEXT NOT NULL,
  line_text TEXT,
  context_json TEXT NOT NULL DEFAULT '[]',
  -- The attempt whose diff the comment was last checked against.
  attempt_id TEXT,
  sent_at TEXT,
  outdated_at TEXT,
  resolved_at TEXT,
  resolved_by TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX review_comments_task ON review_comments (task_id, created_at);

-- An update of a task's branch from its target (rebase or merge), recorded before git writes
-- anything: the plan says how to put the worktree back exactly as it was. `phase` is `writing`
-- while files change (a crash there is rolled back at the next start) and `conflicted` while the
-- worktree holds conflict markers the user or the agent is to resolve (or abort).
CREATE TABLE base_updates (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  mode TEXT NOT NULL,
  phase TEXT NOT NULL,
  plan_json TEXT NOT NULL,
  files_json TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL
);

-- The pushes made of a task's branch (by the user, to a remote of their repository), and the
-- pull or merge request opened for it.
CREATE TABLE task_pushes (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  remote TEXT NOT NULL,
  branch TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  pushed_at TEXT NOT NULL
);
CREATE INDEX task_pushes_task ON task_pushes (task_id, id);
CREATE TABLE task_pull_requests (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  tool TEXT NOT NULL,
  url TEXT NOT NULL,
  head TEXT NOT NULL,
  base TEXT NOT NULL,
  created_at TEXT NOT NULL
);

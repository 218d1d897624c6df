-- Agent runs: the model a task asks for, the reply a follow-up attempt starts with, and per-attempt
-- sandbox, isolation and cost facts.
ALTER TABLE tasks ADD COLUMN model TEXT;
-- Set by a reply to a settled agent task, taken by the worker that runs the follow-up attempt.
ALTER TABLE tasks ADD COLUMN follow_up TEXT;

ALTER TABLE task_attempts ADD COLUMN sandboxed INTEGER;
ALTER TABLE task_attempts ADD COLUMN isolated INTEGER;
ALTER TABLE task_attempts ADD COLUMN cost_ledger_json TEXT NOT NULL DEFAULT '{}';

-- Tool uses an agent asked to make under a supervised permission mode, and how they were answered.
CREATE TABLE tool_approvals (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt_id TEXT NOT NULL,
  -- The agent's own id for the request (Claude control request id, Codex JSON-RPC id).
  request_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  input_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'allowed', 'denied', 'expired')),
  decided_by TEXT,
  decided_at TEXT,
  message TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX tool_approvals_by_task ON tool_approvals (task_id, created_at);
CREATE INDEX tool_approvals_pending ON tool_approvals (status) WHERE status = 'pending';

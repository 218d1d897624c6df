-- Runner hosts (issue 14): machines that run attempts for this control plane. A host's token is
-- kept only as its SHA-256 (hex) with a short prefix for display; what the host reported at its
-- registration (runners and their versions, sandbox, slots, labels) is stored as it said it.
CREATE TABLE runner_hosts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_sha256 TEXT NOT NULL UNIQUE,
  token_prefix TEXT NOT NULL,
  -- Labels the user gave the host at creation; the host adds its own when it registers.
  labels_json TEXT NOT NULL DEFAULT '[]',
  reported_labels_json TEXT NOT NULL DEFAULT '[]',
  runners_json TEXT NOT NULL DEFAULT '{}',
  sandbox INTEGER,
  slots INTEGER NOT NULL DEFAULT 0,
  slots_in_use INTEGER NOT NULL DEFAULT 0,
  -- pending (never registered), online, lost (past its lease), revoked.
  status TEXT NOT NULL,
  registered_at TEXT,
  last_heartbeat_at TEXT,
  lease_expires_at INTEGER,
  revoked_at TEXT,
  created_at TEXT NOT NULL
);

-- Where each attempt ran: null on this machine, else the runner host. The runner's own sequence
-- of the events it sent (the last one stored) makes its batches idempotent, and the outcome it
-- reported is kept as sent, so a replay of it is recognised.
ALTER TABLE task_attempts ADD COLUMN runner_host_id TEXT REFERENCES runner_hosts (id);
ALTER TABLE task_attempts ADD COLUMN runner_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_attempts ADD COLUMN remote_outcome_json TEXT;
CREATE INDEX task_attempts_by_host ON task_attempts (runner_host_id) WHERE runner_host_id IS NOT NULL;

-- Placement: the labels a runner host must have to run the task (none: it runs here).
ALTER TABLE tasks ADD COLUMN runner_labels_json TEXT NOT NULL DEFAULT '[]';

-- Commands for a runner host (stop, reply, approval) until it acknowledges them: a host that
-- reconnects gets every unacknowledged one again, and an acknowledged one never.
CREATE TABLE runner_commands (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES runner_hosts (id),
  attempt_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  acked_at TEXT
);
CREATE INDEX runner_commands_pending ON runner_commands (host_id, id) WHERE acked_at IS NULL;

-- The limits an attempt ran under (processes, memory, stored output), how each was enforced
-- (cgroup v1/v2, rlimit, none) and, once it ended, what it used: JSON, null before it started.
ALTER TABLE task_attempts ADD COLUMN limits_json TEXT;

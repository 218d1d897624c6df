-- Enough about each runner process to find and kill its whole group after a server crash,
-- without ever signalling an unrelated group that reused the number.
ALTER TABLE task_attempts ADD COLUMN pgid INTEGER;
-- Start time of the group leader (clock ticks since boot, /proc/<pid>/stat field 22) and the boot id.
ALTER TABLE task_attempts ADD COLUMN process_started TEXT;
ALTER TABLE task_attempts ADD COLUMN stop_reason TEXT;

CREATE INDEX attempts_with_process ON task_attempts (status) WHERE pgid IS NOT NULL;

-- Events are evidence: once written they never change.
CREATE TRIGGER events_are_append_only BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;

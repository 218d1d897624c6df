-- The task machine became two parallel regions: `run` (the states it had, the wire status) and
-- `worktree` (none, present, cleaned, and the intent states merging, cleaning, restoring while git
-- acts before the database). Each stored snapshot's state value moves under `run`; the worktree's
-- state is what the task's row and its intent (if one is left over) say. A snapshot that is not a
-- machine snapshot of the old shape is left as it is (the server reports it unreadable).
UPDATE tasks
SET machine_snapshot = json_set(
  machine_snapshot,
  '$.value',
  json_object(
    'run', json_extract(machine_snapshot, '$.value'),
    'worktree', CASE
      (SELECT kind FROM task_intents WHERE task_intents.task_id = tasks.id)
      WHEN 'merge' THEN 'merging'
      WHEN 'cleanup' THEN 'cleaning'
      WHEN 'restore' THEN 'restoring'
      ELSE CASE
        WHEN worktree_path IS NULL THEN 'none'
        WHEN worktree_cleaned_at IS NOT NULL THEN 'cleaned'
        ELSE 'present'
      END
    END
  )
)
WHERE json_valid(machine_snapshot)
  AND json_type(machine_snapshot, '$.value') IN ('text', 'object')
  AND json_type(machine_snapshot, '$.value.run') IS NULL;

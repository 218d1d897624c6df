-- Groups of variants (issue 15): one goal tried several ways at once. Each variant is an ordinary
-- task naming its group; the group keeps the goal, what each variant was asked to be (runner,
-- model, prompt suffix, preset, in order, with the tree of its result captured by the server) and
-- the pick: `pick_state` is null until a pick begins, `picking` while the winner merges (recorded
-- before git acts), `picked` once it merged.
CREATE TABLE task_groups (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  goal TEXT NOT NULL,
  command TEXT NOT NULL,
  workspace TEXT NOT NULL,
  variants_json TEXT NOT NULL,
  pick_state TEXT,
  picked_task_id TEXT,
  pick_strategy TEXT,
  pick_note TEXT,
  picked_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX task_groups_by_created ON task_groups (created_at DESC, id DESC);

ALTER TABLE tasks ADD COLUMN group_id TEXT;
CREATE INDEX tasks_by_group ON tasks (group_id) WHERE group_id IS NOT NULL;

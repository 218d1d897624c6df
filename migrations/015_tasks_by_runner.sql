-- Tasks of one runner, newest first: the task list and the roster filter by runner, and without
-- this they walked every task in order of change until a page of that runner's was found (16 ms
-- at 10,000 tasks for a runner seldom used). Like the other orders of tasks it changes with each
-- batch of a task's events, once per batch, not per line.
CREATE INDEX tasks_by_runner ON tasks (runner, updated_at DESC, id DESC);

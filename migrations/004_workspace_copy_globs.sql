-- Per workspace, glob patterns of git-ignored files (such as .env*) copied into each new worktree.
ALTER TABLE workspaces ADD COLUMN copy_globs_json TEXT NOT NULL DEFAULT '[]';

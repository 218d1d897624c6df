import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from './config'
import type { TaskRecord } from './domain'
import { captureDiff } from './git/diff'
import { git } from './git/exec'
import { prepareWorkspace } from './git/worktree'
import { normalizePolicy } from './policy/presets'
import type { RuntimeAdapters } from './runtime'
import { canonicalDirectory } from './workspaces/paths'

/** The git layer as the run worker uses it: a worktree per task, and what changed since its base. */
export const gitIsolation: RuntimeAdapters['isolation'] = (settings) => {
  return {
    async prepare(task: TaskRecord) {
      const prepared = await prepareWorkspace({
        taskId: task.id,
        workspace: task.workspace,
        copyIgnoredGlobs: settings.copyGlobsFor(task.workspace),
        existing: task.worktree_path
          ? {
              worktreePath: task.worktree_path,
              executionDir: task.execution_workspace,
              baseCommit: task.base_commit,
            }
          : null,
      })
      const gitDirs = prepared.worktreePath ? await worktreeGitDirs(prepared.worktreePath) : []
      return { ...prepared, gitDirs }
    },
    async summarizeChanges(task: TaskRecord) {
      if (!task.worktree_path) return null
      const diff = await captureDiff({
        worktreePath: task.worktree_path,
        baseCommit: task.base_commit,
        maxPatchBytes: 0,
      })
      return { has_changes: diff.has_changes, stat: diff.stat }
    },
  }
}

/** What a worktree writes in the shared git directory: its own part, objects, refs and reflogs. */
async function worktreeGitDirs(worktreePath: string): Promise<string[]> {
  const out = await git(worktreePath, [
    'rev-parse',
    '--path-format=absolute',
    '--git-common-dir',
    '--git-dir',
  ])
  const [commonDir, ownDir] = out.trim().split('\n')
  if (!commonDir || !ownDir) return []
  const shared = ['objects', 'refs', 'logs'].map((part) => join(commonDir, part))
  // Only existing paths can be made writable; a repository without reflogs yet would get none.
  await Promise.all(shared.map((dir) => mkdir(dir, { recursive: true })))
  return [ownDir, ...shared]
}

export function composeAdapters(_config: Config): RuntimeAdapters {
  return {
    isolation: gitIsolation,
    resolveWorkspace: (path) => canonicalDirectory(path ?? process.cwd()),
    normalizePolicy,
  }
}

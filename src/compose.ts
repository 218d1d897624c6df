import type { Config } from './config'
import type { TaskRecord } from './domain'
import { captureDiff, importTaskBranch, locateTaskCheckout, prepareWorkspace } from './git'
import { normalizePolicy } from './policy/presets'
import type { RuntimeAdapters } from './runtime'
import { assertSafeWorkspace } from './workspaces/exposure'
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
      return prepared
    },
    async collectCommits(task: TaskRecord) {
      if (!task.worktree_path) return null
      return importTaskBranch(await locateTaskCheckout(task.workspace, task.id, task.worktree_path))
    },
    async summarizeChanges(task: TaskRecord) {
      if (!task.worktree_path) return null
      const diff = await captureDiff({
        checkout: await locateTaskCheckout(task.workspace, task.id, task.worktree_path),
        baseCommit: task.base_commit,
        maxPatchBytes: 0,
      })
      return { has_changes: diff.has_changes, stat: diff.stat }
    },
    async patch(task: TaskRecord, maxBytes: number) {
      if (!task.worktree_path) return null
      const diff = await captureDiff({
        checkout: await locateTaskCheckout(task.workspace, task.id, task.worktree_path),
        baseCommit: task.base_commit,
        maxPatchBytes: maxBytes,
      })
      return diff.patch
    },
  }
}

export function composeAdapters(config: Config): RuntimeAdapters {
  return {
    isolation: gitIsolation,
    resolveWorkspace: async (path) => {
      const workspace = await canonicalDirectory(path ?? process.cwd())
      assertSafeWorkspace(workspace, config)
      return workspace
    },
    normalizePolicy,
  }
}

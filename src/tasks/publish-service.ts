import type { TaskRecord } from '../domain'
import { AppError, conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import { baseState, pushTaskBranch, taskBranch } from '../git'
import { type ForgeInfo, type ForgeTool, openPullRequest, probeForges } from '../integrations/forges'
import type { TaskLifecycle } from '../lifecycle'
import { worktreeOf } from '../machines/task-state'
import type { Store } from '../storage/store'
import type { BaseUpdateService } from './base-update-service'
import { checkoutOf } from './intent-recovery'
import type { TaskOperations } from './task-operations'
import type { TaskService } from './task-service'

export interface PublishServiceDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  operations: TaskOperations
  tasks: TaskService
  baseUpdates: BaseUpdateService
  /** The server's own environment: the user's PATH and forge credentials. */
  env: Record<string, string | undefined>
}

export interface PullRequestOptions {
  tool?: ForgeTool
  base?: string
  title?: string
  draft?: boolean
}

const SETTLED = ['ready-for-review', 'completed', 'failed', 'stopped']
const SUMMARY_CHARS = 4000
const PROBE_CACHE_MS = 30_000

/**
 * Publishing a task's work, always as a user action: a push of its branch to a remote of the
 * user's repository (their configuration and credentials, never the run's), and a pull or merge
 * request opened with the forge CLI the user signed in to (gh, glab).
 */
export class PublishService {
  constructor(private readonly deps: PublishServiceDeps) {}

  private cached: { at: number; forges: Promise<ForgeInfo[]> } | null = null

  /** gh and glab as found now; pages may take a look at most 30 s old (`fresh` false), it runs both CLIs. */
  integrations(fresh = true): Promise<ForgeInfo[]> {
    if (!fresh && this.cached && Date.now() - this.cached.at < PROBE_CACHE_MS) return this.cached.forges
    const forges = probeForges({ env: this.deps.env })
    this.cached = { at: Date.now(), forges }
    return forges
  }

  /** The branch a push goes to unless the user names another: the task branch's own name. */
  defaultBranch(taskId: string): string {
    return taskBranch(taskId)
  }

  lastPush(taskId: string): { remote: string; branch: string } | null {
    return this.deps.store.publishing.latestPush(taskId)
  }

  async push(taskId: string, remote: string, branch?: string) {
    const task = this.deps.tasks.get(taskId)
    this.assertPublishable(task)
    await this.deps.baseUpdates.assertNoConflict(taskId)
    return this.deps.operations.exclusive(taskId, 'a push', async () => {
      const result = await pushTaskBranch({
        checkout: await checkoutOf(task),
        baseCommit: task.base_commit,
        remote,
        branch: branch ?? taskBranch(taskId),
        message: `${task.title}\n\nFrom openRuntime task ${taskId}`,
      })
      this.deps.eventLog.commit(
        taskId,
        [
          {
            kind: 'lifecycle',
            message: `Pushed ${result.commit.slice(0, 12)} to ${remote} as ${result.branch}${result.committed ? ' (the uncommitted changes committed first)' : ''}`,
            metadata: { category: 'branch-pushed', ...result },
          },
        ],
        (at) =>
          this.deps.store.publishing.addPush({
            task_id: taskId,
            remote,
            branch: result.branch,
            commit_sha: result.commit,
            pushed_at: at,
          }),
      )
      return result
    })
  }

  async pullRequest(taskId: string, options: PullRequestOptions) {
    const task = this.deps.tasks.get(taskId)
    const forges = await this.integrations()
    const forge = pickForge(forges, options.tool)
    const push = this.deps.store.publishing.latestPush(taskId)
    if (!push)
      throw conflict('not_pushed', `task ${taskId} has not been pushed yet: POST /tasks/${taskId}/push first`)
    const checkout = await checkoutOf(task)
    const base = options.base ?? (await baseState(checkout.repo, task.base_commit)).target_ref ?? 'main'
    const url = await openPullRequest(
      forge.path as string,
      {
        tool: forge.name,
        cwd: checkout.repo.root,
        head: push.branch,
        base,
        title: options.title?.trim() || task.title,
        body: this.requestBody(task),
        draft: options.draft ?? false,
      },
      { env: this.deps.env },
    )
    this.deps.eventLog.commit(
      taskId,
      [
        {
          kind: 'lifecycle',
          message: `Opened ${url} with ${forge.name} (${push.branch} into ${base})`,
          metadata: { category: 'pull-request-opened', url, tool: forge.name, head: push.branch, base },
        },
      ],
      (at) =>
        this.deps.store.publishing.setPullRequest({
          task_id: taskId,
          tool: forge.name,
          url,
          head: push.branch,
          base,
          created_at: at,
        }),
    )
    return { url, tool: forge.name, head: push.branch, base }
  }

  /** The request's description: the task's goal, the agent's last words, where it came from. */
  requestBody(task: TaskRecord): string {
    const goal = task.prompt.trim() || task.command.trim()
    const summary = this.summaryOf(task)
    return [
      goal,
      ...(summary ? ['## Summary', summary.slice(0, SUMMARY_CHARS)] : []),
      ...this.verdictsOf(task),
      `Opened from openRuntime task ${task.id}.`,
    ].join('\n\n')
  }

  /** The latest round of checks and criteria grades, one line each; nothing when none ran. */
  private verdictsOf(task: TaskRecord): string[] {
    const round = this.deps.store.checks.latest(task.id)
    if (!round) return []
    const checks = round.results.map(
      (result) =>
        `- ${result.name}: ${result.verdict}${result.exit_status ? ` (${result.exit_status})` : ''}`,
    )
    const grades = round.grades.map((grade) => `- ${grade.criterion}: ${grade.verdict}: ${grade.reason}`)
    return [
      ...(checks.length > 0 ? ['## Checks', checks.join('\n')] : []),
      ...(grades.length > 0 ? ['## Acceptance criteria', grades.join('\n')] : []),
    ]
  }

  private summaryOf(task: TaskRecord): string | null {
    const said = this.deps.store.events
      .latest(task.id, 500)
      .filter((event) => event.metadata?.category === 'agent' && event.metadata.type === 'assistant_text')
      .at(-1)
    return said?.message.trim() || this.deps.store.attempts.latest(task.id)?.summary?.trim() || null
  }

  private assertPublishable(task: TaskRecord): void {
    const worktree = worktreeOf(this.deps.lifecycle.snapshot(task.id))
    if (!SETTLED.includes(task.status) || !task.worktree_path || worktree !== 'present')
      throw conflict(
        'invalid_transition',
        `cannot push task ${task.id}: it is ${task.status} (worktree ${worktree}); a settled task with its worktree can be pushed`,
      )
  }
}

function pickForge(forges: ForgeInfo[], wanted?: ForgeTool): ForgeInfo {
  const candidates = wanted ? forges.filter((forge) => forge.name === wanted) : forges
  const ready = candidates.find((forge) => forge.available)
  if (ready) return ready
  const why = candidates.map((forge) => forge.reason).join('; ')
  throw new AppError(
    'precondition',
    'integration_unavailable',
    `no forge CLI can open a pull request here: ${why}. Install and sign in to gh (GitHub) or glab (GitLab)`,
    { integrations: candidates.map(({ name, reason }) => ({ name, reason })) },
  )
}

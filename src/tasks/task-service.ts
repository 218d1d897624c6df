import { randomUUID } from 'node:crypto'
import type { ApprovalAnswer } from '../agents'
import type { ToolApproval } from '../domain'
import {
  type CreateTaskBody,
  DEFAULT_BUDGET_MINUTES,
  type EffectivePolicy,
  emptyLedger,
  type NewEvent,
  now,
  type PolicyInput,
  type TaskRecord,
} from '../domain'
import { AppError, conflict, invalid, notFound } from '../errors'
import type { EventLog } from '../events/event-log'
import { hasTaskChanges } from '../git'
import type { RemoteAttemptRef, RemoteRuns } from '../hosts'
import { remoteWorkOf } from '../hosts'
import type { TaskLifecycle } from '../lifecycle'
import { worktreeOf } from '../machines/task-state'
import type { RunDispatch } from '../queue/dispatch'
import type { Store } from '../storage/store'
import type { LiveRuns } from '../workers/live-runs'
import type { Preflight } from '../workers/preflight'
import type { Redaction } from '../workers/redaction'
import { runnerOf } from '../workers/registry'
import { checkoutOf, type IntentSettler } from './intent-recovery'
import type { TaskOperations } from './task-operations'
import { TaskReads } from './task-reads'

/**
 * What a create request carries, validated at the edge (the API's schema, the dispatch form):
 * null and absent mean the same; the workspace defaults to the server's working directory, like
 * the original's.
 */
export type CreateTaskInput = CreateTaskBody

export interface PreparedTask {
  task: TaskRecord
  snapshot: string
}

const WAITING = 'queued.waiting'

export interface TaskServiceDeps {
  operations: TaskOperations
  /** Canonical absolute directory for a workspace path (throws a 400-kind error otherwise). */
  resolveWorkspace: (path: string | undefined) => Promise<string>
  /** The full policy for a request's partial one: defaults fill what is absent. */
  normalizePolicy: (input: PolicyInput | null | undefined) => EffectivePolicy
  /** Refuses what cannot run (policy checks, a missing runner or sandbox) before anything changes. */
  preflight: Preflight
  redaction: Redaction
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  /** Settles an operation on the repository whose outcome was never recorded, before a new one. */
  intents: IntentSettler
  liveRuns: LiveRuns
  dispatch: RunDispatch
  /** Where a task runs (here or on a runner host) and how a remote attempt is reached. */
  remote: RemoteRuns
}

// The original's filter: output, plus lifecycle events about the runner or its session.
const RUNNER_EVENT_FILTER =
  "(kind IN ('stdout', 'stderr') OR (kind = 'lifecycle' AND (lower(message) LIKE '%runner%' OR lower(message) LIKE '%session%' OR lower(message) LIKE 'starting %')))"

/** The operations the API offers on tasks. Routes translate HTTP to these calls and back. */
export class TaskService extends TaskReads {
  constructor(private readonly deps: TaskServiceDeps) {
    super(deps.store, deps.lifecycle)
  }

  async create(input: CreateTaskInput): Promise<TaskRecord> {
    const prepared = await this.prepare(input, null)
    this.deps.lifecycle.create(prepared.task, prepared.snapshot)
    return prepared.task
  }

  /**
   * A new task checked and built but not stored: what `create` stores, and what a group stores
   * several of at once (createAll). A task its own policy refuses is refused (403), as in the
   * original, rather than stored.
   */
  async prepare(input: CreateTaskInput, groupId: string | null): Promise<PreparedTask> {
    const { lifecycle } = this.deps
    const title = input.title.trim()
    const prompt = input.prompt.trim()
    const command = (input.command ?? '').trim()
    if (title === '') throw invalid('title must not be blank')
    const takes = runnerOf(input.runner).input
    if (takes === 'command' && command === '')
      throw invalid(`command is required for the ${input.runner} runner`)
    if (takes === 'goal' && prompt === '') throw invalid(`goal is required for the ${input.runner} runner`)
    const model = takes === 'command' ? '' : (input.model ?? '').trim()
    const policy = this.deps.normalizePolicy(input.policy)
    const workspace = await this.deps.resolveWorkspace(input.workspace ?? undefined)
    const at = now()
    const initial = lifecycle.initialSnapshot(policy.require_approval)
    const task: TaskRecord = {
      id: randomUUID(),
      title,
      prompt,
      runner: input.runner,
      command: runnerOf(input.runner).taskCommand({ command, prompt }),
      model: model || null,
      workspace,
      worktree_path: null,
      execution_workspace: null,
      runner_session_id: null,
      base_commit: null,
      diff_stat: null,
      approved_at: null,
      worktree_merged_at: null,
      worktree_cleaned_at: null,
      status: initial.status,
      budget_minutes: input.budget_minutes ?? DEFAULT_BUDGET_MINUTES,
      policy,
      effective_policy: null,
      cost_ledger: emptyLedger(),
      runner_labels: input.runner_labels ?? [],
      group_id: groupId,
      checks: input.checks ?? [],
      criteria: input.criteria ?? [],
      created_at: at,
      updated_at: at,
    }
    this.deps.preflight.assertPolicyAllows(task, policy)
    return { task, snapshot: initial.snapshot }
  }

  /** Stores prepared tasks and what `alongside` writes (their group) in one transaction: all or none. */
  createAll(prepared: PreparedTask[], alongside: () => void): void {
    this.deps.store.transaction(() => {
      alongside()
      for (const { task, snapshot } of prepared) this.deps.lifecycle.create(task, snapshot)
    })
  }

  /** The task that made each of these agent sessions, by session id (sessions no task made are absent). */
  taskIdsBySession(sessionIds: string[]): Map<string, string> {
    return this.deps.store.tasks.idsBySession(sessionIds)
  }

  /** Starts (or restarts) a task: it waits in `queued` until a runner slot is free. */
  async start(id: string): Promise<TaskRecord> {
    const { store, lifecycle } = this.deps
    const task = this.get(id)
    await this.deps.intents.settleLeftover(id)
    lifecycle.assertCan(id, { type: 'START' })
    // Exclusive: a merge, cleanup or delete must not slip in while the preflight awaits.
    await this.deps.operations.exclusive(id, 'a start', async () => {
      await this.assertCanRun(task)
      const freeze = this.freeze(task)
      const result = lifecycle.transition(
        id,
        { type: 'START' },
        {
          message: 'Start requested',
          category: 'start-requested',
          write: (at, next) => {
            freeze.write(at)
            // A start runs the task's own goal again: a follow-up that was waiting is dropped.
            store.outbox.clearTask(id)
            this.queueRun(id, next, null, at)
          },
          extraEvents: freeze.events,
        },
      )
      await this.dispatch(id, result)
    })
    return this.get(id)
  }

  async stop(id: string): Promise<TaskRecord> {
    const { lifecycle, liveRuns, dispatch, store } = this.deps
    this.get(id)
    lifecycle.assertCan(id, { type: 'STOP' })
    const live = liveRuns.get(id)
    if (live) {
      await live.stop('user')
      return this.get(id)
    }
    const remote = this.deps.remote.liveAttempt(id)
    if (remote) {
      // The host ends the run and reports it stopped; the task is running until it has.
      this.deps.remote.send(remote, 'stop', { reason: 'user' })
      this.record(id, {
        kind: 'lifecycle',
        attempt_id: remote.attemptId,
        message: `Stop requested: sent to runner host ${remote.hostName}`,
        metadata: { category: 'stop-requested', attempt_id: remote.attemptId, runner_host: remote.hostName },
      })
      return this.get(id)
    }
    const snapshot = lifecycle.snapshot(id)
    const wasWaiting = snapshot.matches({ run: { queued: 'waiting' } })
    lifecycle.transition(
      id,
      { type: 'STOP' },
      {
        message: 'Stopped by the user',
        category: 'attempt-stopped',
        metadata: { attempt_id: null, reason: 'user' },
        write: () => store.outbox.clearTask(id),
      },
    )
    // After the transition a worker that claims the job finds nothing to do, so removing it can lag.
    if (wasWaiting)
      await dispatch.withdraw({ taskId: id, run: snapshot.context.starts }).catch(() => undefined)
    return this.get(id)
  }

  /**
   * Answers a task. A live shell gets the reply on stdin; a live agent as its next turn (after the
   * current one); an agent whose process has ended continues its session in a new attempt.
   */
  async reply(id: string, message: string): Promise<TaskRecord> {
    const text = message.trim()
    if (text === '') throw invalid('message must not be blank')
    const task = this.get(id)
    const policy = policyOf(task)
    this.deps.preflight.assertText(task, policy, text)
    const recorded = this.deps.redaction.text(policy, text)
    const remote = this.deps.remote.liveAttempt(id)
    if (remote) {
      this.deps.remote.send(remote, 'reply', { message: text })
      this.record(id, {
        kind: 'input',
        attempt_id: remote.attemptId,
        message: `User reply: ${recorded}`,
        metadata: {
          category: 'reply',
          attempt_id: remote.attemptId,
          delivery: 'runner-host',
          runner_host: remote.hostName,
        },
      })
      return this.get(id)
    }
    const live = this.deps.liveRuns.get(id)
    if (live && !live.stopping) {
      const delivery = live.reply(text)
      if (delivery) {
        this.record(id, {
          kind: 'input',
          attempt_id: live.attemptId,
          message: `User reply: ${recorded}`,
          metadata: { category: 'reply', attempt_id: live.attemptId, delivery },
        })
        return this.get(id)
      }
      if (runnerOf(task.runner).input === 'command')
        throw conflict('no_live_stdin', `the process of task ${id} does not accept input on stdin`)
      // The agent is finishing its last turn: the reply continues the session once it has.
      await live.ended
    }
    if (runnerOf(task.runner).input === 'command') {
      throw conflict('no_live_process', `task ${id} has no running process to reply to`)
    }
    return this.followUp(this.get(id), recorded, text)
  }

  /** A new attempt that resumes the agent's session with the reply as its first turn. */
  private async followUp(task: TaskRecord, recorded: string, text: string): Promise<TaskRecord> {
    const { lifecycle, operations } = this.deps
    const id = task.id
    if (task.runner_session_id === null)
      throw conflict('no_session', `task ${id} has no agent session to continue; start it instead`)
    await this.deps.intents.settleLeftover(id)
    lifecycle.assertCan(id, { type: 'FOLLOW_UP' })
    await this.deps.remote.assertCanFollowUp(task)
    await operations.exclusive(id, 'a follow-up', async () => {
      await this.assertCanRun(task)
      const result = lifecycle.transition(
        id,
        { type: 'FOLLOW_UP' },
        {
          message: `Follow-up requested: continuing session ${task.runner_session_id}`,
          category: 'follow-up-requested',
          metadata: { session_id: task.runner_session_id },
          write: (at, next) => this.queueRun(id, next, text, at),
          extraEvents: [
            {
              kind: 'input',
              message: `User reply: ${recorded}`,
              metadata: { category: 'reply', delivery: 'follow-up' },
            },
          ],
        },
      )
      await this.dispatch(id, result)
    })
    return this.get(id)
  }

  /** The terminal command that continues the task's agent session interactively, when there is one. */
  attach(id: string) {
    const task = this.get(id)
    const session = task.runner_session_id
    const definition = runnerOf(task.runner)
    const command = session === null ? null : definition.attachCommand(session)
    const message =
      command !== null
        ? `run this in a terminal in ${task.execution_workspace ?? task.workspace} to continue the session interactively`
        : definition.input === 'command'
          ? `${task.runner} tasks have no agent session to attach to; reply to them instead`
          : 'no agent session has been recorded for this task yet'
    return {
      task_id: task.id,
      runner: task.runner,
      session_id: session,
      supported: command !== null,
      command,
      message,
    }
  }

  /** Allows or denies a pending tool use; the answer goes to the agent and is recorded with who and when. */
  answerApproval(id: string, approvalId: string, answer: ApprovalAnswer, by = 'local user'): ToolApproval {
    const { store, liveRuns } = this.deps
    this.get(id)
    const approval = store.approvals.get(id, approvalId)
    if (!approval) throw notFound('approval', approvalId)
    if (approval.status !== 'pending') {
      throw conflict('approval_closed', `approval ${approvalId} is already ${approval.status}`, {
        status: approval.status,
      })
    }
    const remote = this.deps.remote.liveAttempt(id)
    if (remote && remote.attemptId === approval.attempt_id)
      return this.answerRemotely(remote, approval, answer, by)
    const live = liveRuns.get(id)
    const delivered = live?.attemptId === approval.attempt_id && live.answerApproval(approval, answer, by)
    if (!delivered) {
      throw conflict('approval_closed', `the agent of task ${id} no longer waits for approval ${approvalId}`)
    }
    return store.approvals.get(id, approvalId) ?? approval
  }

  /** The answer is recorded now and reaches the agent as a command to its runner host. */
  private answerRemotely(
    remote: RemoteAttemptRef,
    approval: ToolApproval,
    answer: ApprovalAnswer,
    by: string,
  ) {
    const { store } = this.deps
    const message = answer.message ?? null
    const decided = store.approvals.decide(approval.id, {
      status: answer.allow ? 'allowed' : 'denied',
      decided_by: by,
      decided_at: now(),
      message,
    })
    if (!decided) throw conflict('approval_closed', `approval ${approval.id} is no longer pending`)
    this.deps.remote.send(remote, 'approval', {
      approval_id: approval.id,
      request_id: approval.request_id,
      allow: answer.allow,
      message,
      by,
    })
    return store.approvals.get(approval.task_id, approval.id) ?? approval
  }

  async approve(id: string, options: { note?: string; start?: boolean; by?: string }): Promise<TaskRecord> {
    const { store, lifecycle } = this.deps
    const task = this.get(id)
    const start = options.start ?? true
    lifecycle.assertCan(id, { type: 'APPROVE', start })
    const note = options.note?.trim() || null
    const by = options.by ?? 'local user'
    await this.deps.operations.exclusive(id, 'an approval', async () => {
      if (start) await this.assertCanRun(task)
      const freeze = start ? this.freeze(task) : NOT_FREEZING
      const result = lifecycle.transition(
        id,
        { type: 'APPROVE', start },
        {
          message: note ? `Task approved: ${note}` : 'Task approved',
          category: 'approved',
          metadata: { approved_by: by, note },
          write: (at, next) => {
            store.tasks.patch(id, { approved_at: at }, at)
            freeze.write(at)
            this.queueRun(id, next, null, at)
          },
          extraEvents: freeze.events,
        },
      )
      await this.dispatch(id, result)
    })
    return this.get(id)
  }

  events(id: string, after: number, limit: number) {
    this.get(id)
    return this.deps.store.events.after(id, after, limit)
  }

  /** The runner's part of the timeline (output and runner lifecycle events), newest `limit`, oldest first. */
  runnerLog(id: string, limit: number) {
    return this.deps.store.events.latestMatching(id, limit, RUNNER_EVENT_FILTER)
  }

  /** Removes a task and its events; its worktree, if any, stays on disk until cleaned up. */
  async delete(id: string, force: boolean): Promise<void> {
    const { lifecycle, operations } = this.deps
    const task = this.get(id)
    await this.deps.intents.settleLeftover(id)
    lifecycle.assertCan(id, { type: 'DELETE' })
    // Starts take the same lock, so no run can begin while the worktree is inspected below.
    await operations.exclusive(id, 'a delete', async () => {
      const snapshot = lifecycle.snapshot(id)
      const unmerged =
        worktreeOf(snapshot) === 'present' &&
        !snapshot.context.merged &&
        (await checkoutOf(task)
          .then(async (checkout) => {
            const remote = await remoteWorkOf(this.deps.store, task, async () => checkout)
            return hasTaskChanges(checkout, task.base_commit, remote?.tree)
          })
          .catch(() => task.diff_stat !== null))
      if (unmerged && !force) {
        throw conflict(
          'unmerged_changes',
          `task ${id} has changes that were never merged; merge them, or delete with force=true`,
        )
      }
      lifecycle.delete(id)
    })
  }

  /** The first start freezes the policy for every later attempt (the stored snapshot is write-once). */
  private freeze(task: TaskRecord): Freezing {
    if (task.effective_policy !== null) return NOT_FREEZING
    return {
      write: (at) => this.deps.store.tasks.freezePolicy(task.id, task.policy, at),
      events: [
        {
          kind: 'lifecycle',
          message: 'Effective policy frozen for every attempt of this task',
          metadata: { category: 'policy-frozen' },
        },
      ],
    }
  }

  /**
   * What must hold before a run is queued: the preflight (a run here also needs its runner and
   * sandbox here), and for a run on a runner host a registered host that could ever run it.
   */
  private async assertCanRun(task: TaskRecord): Promise<void> {
    const remote = this.deps.remote.isRemote(task)
    await this.deps.preflight.assertCanRun(task, policyOf(task), { here: !remote })
    if (remote) this.deps.remote.assertServable(task)
  }

  private record(id: string, event: NewEvent): void {
    this.deps.eventLog.append(id, event)
  }

  /**
   * A transition that queued the task (its state is now `queued.waiting`) writes its run to the
   * outbox in the same transaction: what runs next is derived from committed state.
   */
  private queueRun(
    id: string,
    next: { state: string; context: { starts: number } },
    followUp: string | null,
    at: string,
  ) {
    if (next.state !== WAITING) return
    this.deps.store.outbox.add({ task_id: id, run: next.context.starts, follow_up: followUp, created_at: at })
  }

  /** After the commit: a run the transition queued goes to the queue. */
  private async dispatch(id: string, result: { state: string; context: { starts: number } }): Promise<void> {
    if (result.state !== WAITING) return
    const task = this.get(id)
    if (this.deps.remote.isRemote(task)) {
      // A runner host claims it (src/hosts); until one that can is live, the task says why it waits.
      const why = this.deps.remote.waitingReason(task)
      if (why !== null)
        this.record(id, {
          kind: 'lifecycle',
          message: `Waiting for a runner host: ${why}`,
          metadata: { category: 'waiting-for-host', reason: why },
        })
    }
    try {
      await this.deps.dispatch.dispatch({ taskId: id, run: result.context.starts })
    } catch (error) {
      this.deps.lifecycle.transition(
        id,
        { type: 'FAIL' },
        {
          message: `could not queue the run: ${(error as Error).message}`,
          category: 'enqueue-failed',
          write: () => this.deps.store.outbox.clearTask(id),
        },
      )
      throw new AppError(
        'unavailable',
        'queue_unavailable',
        `could not queue task ${id}: ${(error as Error).message}`,
      )
    }
  }
}

interface Freezing {
  write: (at: string) => void
  events: NewEvent[]
}

const NOT_FREEZING: Freezing = { write: () => undefined, events: [] }

/** The frozen policy once the task was started, the submitted one before. */
const policyOf = (task: TaskRecord): EffectivePolicy => task.effective_policy ?? task.policy

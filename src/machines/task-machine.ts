import { and, assign, not, or, type SnapshotFrom, setup, stateIn } from 'xstate'

/**
 * The task lifecycle, and nothing else: no timers, no invoked actors, no I/O. Workers and the
 * services do the work and report facts (CLAIM, EXIT, MERGE_DONE, …) as events; the machine
 * decides the next state. A persisted snapshot therefore restores without re-running anything.
 *
 * Two parallel regions:
 * - `run`: the wire status, its top-level state. Two states have substates the wire does not show:
 *   queued.draft (created, never started), queued.waiting (a run job is in the queue);
 *   needs-input.approval (held at the approval gate, no process), needs-input.prompt (a live
 *   process waits for an answer: a prompt on stdin, or an agent's tool approval); running.agent
 *   (the runner's process), running.checks (the task's checks run in its worktree: after an
 *   attempt with changes, or again on request from ready-for-review), running.review (a reviewer
 *   grades the diff against the task's criteria).
 * - `worktree`: whether the task has a checkout of its own, and the intent states in which git
 *   changes the repository before the database records the outcome (merging, cleaning,
 *   restoring). An intent ends with the event that records it done or rolled back, from the
 *   operation itself or, after a crash, from recovery.
 *
 * The regions guard each other: the worktree is merged, cleaned up or restored only once the run
 * has settled, and while an intent is open the run neither starts again nor is deleted.
 *
 * FOLLOW_UP is a reply to an agent whose process has ended: a new run continuing its session.
 * FIX is the same, sent by the fix loop when a check failed: the next round is a new run.
 */

export interface TaskMachineContext {
  requiresApproval: boolean
  approved: boolean
  /** The changes of the latest run have been merged; cleared by the next start. */
  merged: boolean
  /** Number of STARTs so far; names the queue job of each run. */
  starts: number
}

export type ExitOutcome = 'changes' | 'no-changes' | 'failed'

export type TaskMachineEvent =
  | { type: 'START' }
  | { type: 'APPROVE'; start: boolean }
  | { type: 'CLAIM' }
  /** The run's workspace is ready: its own worktree (isolated), or the workspace itself. */
  | { type: 'PREPARED'; isolated: boolean }
  | { type: 'NEED_INPUT' }
  | { type: 'RESUME' }
  | { type: 'EXIT'; outcome: ExitOutcome }
  | { type: 'FAIL' }
  | { type: 'STOP' }
  | { type: 'RECOVER' }
  | { type: 'FOLLOW_UP' }
  /** The checks start: after the runner's process, or again on request. */
  | { type: 'CHECKS' }
  /** The reviewer starts grading the diff against the criteria. */
  | { type: 'REVIEW' }
  /** A check failed and the fix loop has rounds left: the agent gets a follow-up. */
  | { type: 'FIX' }
  | { type: 'DELETE' }
  | { type: 'MERGE_BEGIN' }
  | { type: 'MERGE_DONE' }
  | { type: 'MERGE_ROLLED_BACK' }
  | { type: 'CLEANUP_BEGIN' }
  | { type: 'CLEANUP_DONE' }
  | { type: 'CLEANUP_ROLLED_BACK' }
  | { type: 'RESTORE_BEGIN' }
  | { type: 'RESTORE_DONE' }
  | { type: 'RESTORE_ROLLED_BACK' }

export type TaskAction = TaskMachineEvent['type']

export interface TaskMachineInput {
  requiresApproval: boolean
}

const WAITING = '#task.run.queued.waiting'
const APPROVAL = '#task.run.needs-input.approval'
const inRun = (...states: string[]) => or(states.map((state) => stateIn(`#task.run.${state}`)))

// Transitions several states share, written once.

/** A new run: held at the approval gate when the task needs an approval it never got. */
const start = [
  { guard: and(['worktreeIdle', 'heldForApproval']), target: APPROVAL },
  { guard: 'worktreeIdle', target: WAITING, actions: 'startRun' },
] as const

/** A new run that never waits at the gate: a follow-up, or a start once approved. */
const startPastGate = {
  guard: and(['worktreeIdle', not('heldForApproval')]),
  target: WAITING,
  actions: 'startRun',
} as const

const approve = [
  { guard: 'approveAndStart', target: WAITING, actions: ['recordApproval', 'startRun'] },
  { actions: 'recordApproval' },
] as const

const exit = [
  { guard: 'exitedWithChanges', target: '#task.run.ready-for-review' },
  { guard: 'exitedClean', target: '#task.run.completed' },
  { target: '#task.run.failed' },
] as const

/** Accepted only where no process may be alive and git is not at work on the worktree. */
const remove = { guard: 'worktreeIdle', target: '#task.run.deleted' } as const

/** What every state a run settles in accepts. */
const settled = { START: start, FOLLOW_UP: startPastGate, DELETE: remove } as const

/** From any resting worktree state: the workspace a new run was given. */
const prepared = [{ guard: 'preparedIsolated', target: 'present' }, { target: 'none' }] as const

export const taskMachine = setup({
  types: {
    context: {} as TaskMachineContext,
    events: {} as TaskMachineEvent,
    input: {} as TaskMachineInput,
  },
  guards: {
    heldForApproval: ({ context }) => context.requiresApproval && !context.approved,
    approveAndStart: ({ event }) => event.type === 'APPROVE' && event.start,
    exitedWithChanges: ({ event }) => event.type === 'EXIT' && event.outcome === 'changes',
    exitedClean: ({ event }) => event.type === 'EXIT' && event.outcome === 'no-changes',
    preparedIsolated: ({ event }) => event.type === 'PREPARED' && event.isolated,
    worktreeIdle: not(
      or([
        stateIn('#task.worktree.merging'),
        stateIn('#task.worktree.cleaning'),
        stateIn('#task.worktree.restoring'),
      ]),
    ),
    runSettled: inRun('ready-for-review', 'completed', 'failed', 'stopped'),
    // Checks run again only where there is a worktree whose changes are not merged yet.
    checkable: and([({ context }) => !context.merged, stateIn('#task.worktree.present')]),
    // A run that completed has nothing to merge; one already merged nothing more.
    mergeable: and([({ context }) => !context.merged, inRun('ready-for-review', 'failed', 'stopped')]),
  },
  actions: {
    startRun: assign({ starts: ({ context }) => context.starts + 1, merged: false }),
    recordApproval: assign({ approved: true }),
    recordMerge: assign({ merged: true }),
  },
}).createMachine({
  id: 'task',
  type: 'parallel',
  context: ({ input }) => ({
    requiresApproval: input.requiresApproval,
    approved: false,
    merged: false,
    starts: 0,
  }),
  states: {
    run: {
      initial: 'queued',
      states: {
        queued: {
          initial: 'draft',
          states: {
            draft: { on: { START: start, APPROVE: approve, DELETE: remove } },
            waiting: { on: { CLAIM: '#task.run.running' } },
          },
          on: { STOP: 'stopped', FAIL: 'failed' },
        },
        running: {
          initial: 'agent',
          states: {
            agent: {
              on: {
                NEED_INPUT: '#task.run.needs-input.prompt',
                CHECKS: 'checks',
                REVIEW: 'review',
              },
            },
            checks: { on: { REVIEW: 'review', FIX: startPastGate } },
            review: { on: { FIX: startPastGate } },
          },
          on: {
            EXIT: exit,
            FAIL: 'failed',
            STOP: 'stopped',
            RECOVER: 'stopped',
          },
        },
        'needs-input': {
          initial: 'prompt',
          states: {
            approval: { on: { APPROVE: approve, START: startPastGate, DELETE: remove } },
            prompt: {
              on: {
                RESUME: '#task.run.running',
                EXIT: exit,
                FAIL: '#task.run.failed',
                RECOVER: '#task.run.stopped',
              },
            },
          },
          on: { STOP: 'stopped' },
        },
        'ready-for-review': {
          on: { ...settled, CHECKS: { guard: and(['worktreeIdle', 'checkable']), target: 'running.checks' } },
        },
        completed: { on: settled },
        failed: { on: settled },
        stopped: { on: settled },
        /** Never stored: the lifecycle removes the task instead. */
        deleted: { type: 'final' },
      },
    },
    worktree: {
      initial: 'none',
      states: {
        /** Never ran, or ran directly in its workspace. */
        none: { on: { PREPARED: prepared } },
        present: {
          on: {
            PREPARED: prepared,
            MERGE_BEGIN: { guard: 'mergeable', target: 'merging' },
            CLEANUP_BEGIN: { guard: 'runSettled', target: 'cleaning' },
          },
        },
        merging: {
          on: {
            // Merged: the task is done, whatever its run ended as.
            MERGE_DONE: { target: ['present', '#task.run.completed'], actions: 'recordMerge' },
            MERGE_ROLLED_BACK: 'present',
          },
        },
        cleaning: { on: { CLEANUP_DONE: 'cleaned', CLEANUP_ROLLED_BACK: 'present' } },
        /** Removed; its final state is kept under the task's archive ref. */
        cleaned: {
          on: {
            PREPARED: prepared,
            RESTORE_BEGIN: { guard: 'runSettled', target: 'restoring' },
          },
        },
        restoring: { on: { RESTORE_DONE: 'present', RESTORE_ROLLED_BACK: 'cleaned' } },
      },
    },
  },
})

export type TaskSnapshot = SnapshotFrom<typeof taskMachine>

export const ALL_ACTIONS: TaskAction[] = [
  'START',
  'APPROVE',
  'CLAIM',
  'PREPARED',
  'NEED_INPUT',
  'RESUME',
  'EXIT',
  'FAIL',
  'STOP',
  'RECOVER',
  'FOLLOW_UP',
  'CHECKS',
  'REVIEW',
  'FIX',
  'DELETE',
  'MERGE_BEGIN',
  'MERGE_DONE',
  'MERGE_ROLLED_BACK',
  'CLEANUP_BEGIN',
  'CLEANUP_DONE',
  'CLEANUP_ROLLED_BACK',
  'RESTORE_BEGIN',
  'RESTORE_DONE',
  'RESTORE_ROLLED_BACK',
]

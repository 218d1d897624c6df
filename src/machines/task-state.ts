import type { TaskStatus } from '../domain'
import { type TaskAction, type TaskMachineEvent, type TaskSnapshot, taskMachine } from './task-machine'

/** What a snapshot says, in the words the rest of the server uses. */

export type WorktreeState = 'none' | 'present' | 'merging' | 'cleaning' | 'cleaned' | 'restoring'

/** The worktree states in which git acts before the database has recorded the outcome. */
export const INTENT_STATES = ['merging', 'cleaning', 'restoring'] as const
export type IntentState = (typeof INTENT_STATES)[number]

const runValue = (snapshot: TaskSnapshot): unknown => (snapshot.value as { run: unknown }).run

/** The wire status of a snapshot: the top-level state of its run region. */
export function statusOf(snapshot: TaskSnapshot): TaskStatus {
  const run = runValue(snapshot)
  return (typeof run === 'string' ? run : Object.keys(run as object)[0]) as TaskStatus
}

/** The run region's full state path, e.g. "queued.waiting": the API's `state`. */
export function stateName(snapshot: TaskSnapshot): string {
  return pathOf(runValue(snapshot)) ?? ''
}

/** A state value's path ("queued.waiting"), or null where it is not a value of one branch of states. */
function pathOf(value: unknown): string | null {
  const parts: string[] = []
  while (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length !== 1) return null
    const [key, inner] = entries[0] as [string, unknown]
    parts.push(key)
    value = inner
  }
  if (typeof value !== 'string') return null
  parts.push(value)
  return parts.join('.')
}

interface StateTree {
  states: Record<string, StateTree>
}

/** The paths of every leaf state under `node`, relative to it. */
function leafPaths(node: StateTree, prefix = ''): string[] {
  const children = Object.entries(node.states)
  if (children.length === 0) return [prefix]
  return children.flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key))
}

/** Each region's leaf states, e.g. run: "queued.waiting", "completed"…; worktree: "none", "present"…. */
const REGION_LEAVES = new Map(
  Object.entries((taskMachine.root as unknown as StateTree).states).map(([region, node]) => [
    region,
    new Set(leafPaths(node)),
  ]),
)

/**
 * The API's `state` read straight from a persisted snapshot (`{status, value, context}`, as the
 * store keeps it), without restoring the machine's state from it: a list reads dozens at a time.
 * Null unless the snapshot is active and its value names a leaf state of every region the machine
 * has (anything else is for the full restore to refuse).
 */
export function storedStateName(persisted: { status?: unknown; value?: unknown }): string | null {
  const { status, value } = persisted
  if (status !== 'active' || !value || typeof value !== 'object') return null
  const regions = value as Record<string, unknown>
  if (Object.keys(regions).length !== REGION_LEAVES.size) return null
  for (const [region, leaves] of REGION_LEAVES) {
    const path = pathOf(regions[region])
    if (path === null || !leaves.has(path)) return null
  }
  return pathOf(regions.run)
}

/** What a running task is doing (its `running` substate: agent, checks, review); null when not running. */
export function phaseOfState(state: string): string | null {
  const [status, phase] = state.split('.')
  return status === 'running' ? (phase ?? null) : null
}

export function worktreeOf(snapshot: TaskSnapshot): WorktreeState {
  return (snapshot.value as { worktree: WorktreeState }).worktree
}

export function isIntent(worktree: WorktreeState): worktree is IntentState {
  return (INTENT_STATES as readonly string[]).includes(worktree)
}

/**
 * The status of the attempt a transition names, as the machine's new state implies: the attempt
 * runs, waits, or ended as its task did (a run ready for review completed). Null where the state
 * says nothing about an attempt (queued, or at the approval gate).
 */
export function attemptStatusOf(snapshot: TaskSnapshot): TaskStatus | null {
  const status = statusOf(snapshot)
  if (status === 'ready-for-review') return 'completed'
  if (status === 'queued') return null
  if (status === 'needs-input') return stateName(snapshot) === 'needs-input.prompt' ? 'needs-input' : null
  return status
}

/** How a refusal names each action ("cannot merge task …"). */
const ACTION_NAMES: Record<TaskAction, string> = {
  START: 'start',
  APPROVE: 'approve',
  CLAIM: 'claim',
  PREPARED: 'prepare the workspace of',
  NEED_INPUT: 'need-input',
  RESUME: 'resume',
  EXIT: 'exit',
  FAIL: 'fail',
  STOP: 'stop',
  RECOVER: 'recover',
  FOLLOW_UP: 'follow-up',
  CHECKS: 'run the checks of',
  REVIEW: 'review',
  FIX: 'send a fix round to',
  DELETE: 'delete',
  MERGE_BEGIN: 'merge',
  MERGE_DONE: 'record the merge of',
  MERGE_ROLLED_BACK: 'roll back the merge of',
  CLEANUP_BEGIN: 'clean up',
  CLEANUP_DONE: 'record the cleanup of',
  CLEANUP_ROLLED_BACK: 'roll back the cleanup of',
  RESTORE_BEGIN: 'restore',
  RESTORE_DONE: 'record the restore of',
  RESTORE_ROLLED_BACK: 'roll back the restore of',
}

export const actionName = (event: TaskMachineEvent): string => ACTION_NAMES[event.type]

const WORKTREE_WORDS: Record<WorktreeState, string> = {
  none: 'no worktree',
  present: 'worktree present',
  merging: 'worktree being merged',
  cleaning: 'worktree being cleaned up',
  cleaned: 'worktree cleaned up',
  restoring: 'worktree being restored',
}

const WORKTREE_ACTIONS = new Set<TaskAction>([
  'PREPARED',
  'MERGE_BEGIN',
  'MERGE_DONE',
  'MERGE_ROLLED_BACK',
  'CLEANUP_BEGIN',
  'CLEANUP_DONE',
  'CLEANUP_ROLLED_BACK',
  'RESTORE_BEGIN',
  'RESTORE_DONE',
  'RESTORE_ROLLED_BACK',
])

/**
 * The state as a refusal of `event` names it: the run's state, and the worktree's where it is
 * what decided (a worktree action, or git at work on it), e.g. "completed (worktree cleaned up)".
 */
export function describeState(snapshot: TaskSnapshot, event: TaskMachineEvent): string {
  const worktree = worktreeOf(snapshot)
  const state = stateName(snapshot)
  return WORKTREE_ACTIONS.has(event.type) || isIntent(worktree)
    ? `${state} (${WORKTREE_WORDS[worktree]})`
    : state
}

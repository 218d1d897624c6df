import type { Static } from '@sinclair/typebox'
import { StringEnum } from './schema-kit'

/** The words every module and the API agree on; the string values are the original openRuntime's. */

export const RUNNERS = ['shell', 'claude-code', 'codex'] as const
export const RunnerSchema = StringEnum(RUNNERS, 'runner')
export type RunnerKind = Static<typeof RunnerSchema>

/** How people call each runner; everything else about a runner is in src/workers/runners/. */
export const RUNNER_LABELS: Record<RunnerKind, string> = {
  shell: 'Shell',
  'claude-code': 'Claude Code',
  codex: 'Codex',
}

export const TASK_STATUSES = [
  'queued',
  'running',
  'needs-input',
  'ready-for-review',
  'completed',
  'failed',
  'stopped',
] as const
export const TaskStatusSchema = StringEnum(TASK_STATUSES, 'task status')
export type TaskStatus = Static<typeof TaskStatusSchema>

export const EVENT_KINDS = ['lifecycle', 'stdout', 'stderr', 'diff', 'input', 'error'] as const
export const EventKindSchema = StringEnum(EVENT_KINDS, 'event kind')
export type EventKind = Static<typeof EventKindSchema>

export const NETWORK_MODES = ['disabled', 'localhost', 'enabled'] as const
export const NetworkModeSchema = StringEnum(NETWORK_MODES, 'network mode')
export type NetworkMode = Static<typeof NetworkModeSchema>

/** How a limit was enforced: by a cgroup the server made, by rlimits on the run's processes, or not at all. */
export const LIMIT_MECHANISMS = ['cgroup-v1', 'cgroup-v2', 'rlimit', 'none'] as const
export const LimitMechanismSchema = StringEnum(LIMIT_MECHANISMS, 'how a limit was enforced')
export type LimitMechanism = Static<typeof LimitMechanismSchema>

import { invalid } from './errors'

export interface InputRange {
  minimum: number
  maximum: number
  /** Whole numbers only. */
  integer: boolean
  description: string
}

/**
 * The numbers a task request may carry, stated once: the API's schemas are built from these, the
 * dispatch form's inputs show them, and `assertInRange` holds every other caller to them. A value
 * outside is refused, never clamped or rounded.
 */
export const INPUT_RANGES = {
  budget_minutes: {
    minimum: 0.05,
    maximum: 240,
    integer: false,
    description:
      'runtime budget of each attempt, in minutes; fractions allowed (0.05 is 3 seconds); default 15',
  },
  max_runtime_minutes: {
    minimum: 1,
    maximum: 1440,
    integer: true,
    description: 'runtime cap of each attempt in whole minutes; when set it overrides budget_minutes',
  },
  budget_cents: {
    minimum: 0,
    maximum: 10_000_000,
    integer: true,
    description: 'cost budget in whole US cents, against the cost the agents report',
  },
  approval_timeout_seconds: {
    minimum: 1,
    maximum: 86_400,
    integer: true,
    description: "an agent's tool approval left unanswered this long (seconds) is denied (default 600)",
  },
  max_processes: {
    minimum: 16,
    maximum: 1_000_000,
    integer: true,
    description: 'processes and threads the run may have at once (default 1024)',
  },
  max_memory_mb: {
    minimum: 32,
    maximum: 1_048_576,
    integer: true,
    description: 'memory of everything the run starts, in MiB (default 4096)',
  },
  max_output_mb: {
    minimum: 1,
    maximum: 100_000,
    integer: true,
    description: 'output stored per attempt, in MiB; past it the run is stopped (default 64)',
  },
} as const satisfies Record<string, InputRange>

export type RangedField = keyof typeof INPUT_RANGES

/** The ranged fields that belong to a policy (the rest belong to the task itself). */
export const POLICY_RANGED_FIELDS = [
  'budget_cents',
  'max_runtime_minutes',
  'approval_timeout_seconds',
  'max_processes',
  'max_memory_mb',
  'max_output_mb',
] as const

/** What the range allows, in words, for messages. */
export function describeRange(field: RangedField): string {
  const { minimum, maximum, integer } = INPUT_RANGES[field]
  return `${integer ? 'a whole number' : 'a number'} from ${minimum} to ${maximum}`
}

/** Refuses (400) a value outside its field's range; `where` names the field as the caller sent it. */
export function assertInRange(field: RangedField, value: number | null | undefined, where: string = field) {
  if (value === null || value === undefined) return
  const { minimum, maximum, integer } = INPUT_RANGES[field]
  const fits =
    Number.isFinite(value) && value >= minimum && value <= maximum && (!integer || Number.isInteger(value))
  if (!fits) throw invalid(`${where} must be ${describeRange(field)}, not ${value}`, { field: where })
}

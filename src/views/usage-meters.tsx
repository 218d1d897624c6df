import { effectiveBudgetMinutes, policyInForce, type TaskView } from '../domain'
import { count, dollars, duration } from './format'

export interface Gauge {
  id: string
  label: string
  /** What was used, in the unit of `max`. */
  value: number
  /** The budget, or null when there is none: then no meter is drawn and no maximum invented. */
  max: number | null
  text: string
}

type GaugeTask = TaskView

/** The latest attempt's runtime: what its ledger says once it ended, the time since it started while it runs. */
function attemptRuntimeMillis(task: GaugeTask, now: number): number {
  const attempt = task.current_attempt
  if (!attempt) return 0
  if (attempt.finished_at === null) {
    const started = Date.parse(attempt.started_at)
    return Number.isFinite(started) ? Math.max(0, now - started) : 0
  }
  return attempt.cost_ledger?.runtime_millis ?? 0
}

/**
 * Usage against the budgets the run is held to: runtime per attempt against the runtime budget
 * (the policy's max runtime when set), the task's cost against its cost cap. Tokens and tool calls
 * have no budget, so they are figures, not meters.
 */
export function usageGauges(task: GaugeTask, now = Date.now()): Gauge[] {
  const ledger = task.cost_ledger
  const policy = policyInForce(task)
  const budgetMinutes = effectiveBudgetMinutes(task)
  const runtime = attemptRuntimeMillis(task, now)
  const tokens =
    ledger.input_tokens + ledger.output_tokens + ledger.cache_read_tokens + ledger.cache_write_tokens
  return [
    {
      id: 'runtime',
      label: 'Runtime (latest attempt)',
      value: Math.round(runtime / 1000),
      max: Math.round(budgetMinutes * 60),
      text: `${duration(runtime)} of ${budgetMinutes} min`,
    },
    {
      id: 'cost',
      label: 'Estimated cost',
      value: ledger.estimated_cents,
      max: policy.budget_cents,
      text:
        policy.budget_cents === null
          ? `${dollars(ledger.estimated_cents)} (no cap)`
          : `${dollars(ledger.estimated_cents)} of ${dollars(policy.budget_cents)}`,
    },
    {
      id: 'tokens',
      label: 'Tokens',
      value: tokens,
      max: null,
      text: `${count(ledger.input_tokens)} in · ${count(ledger.output_tokens)} out${
        ledger.cache_read_tokens ? ` · ${count(ledger.cache_read_tokens)} cached` : ''
      }`,
    },
    { id: 'tools', label: 'Tool calls', value: ledger.tool_calls, max: null, text: count(ledger.tool_calls) },
  ]
}

/** A gauge as a labelled <meter> (warning colour from 80% of the budget), or as a figure without one. */
function GaugeRow({ gauge }: { gauge: Gauge }): JSX.Element {
  const id = `meter-${gauge.id}`
  return (
    <div class="gauge" data-gauge={gauge.id}>
      <div class="gauge-head">
        {gauge.max === null ? (
          <span class="gauge-label" safe>
            {gauge.label}
          </span>
        ) : (
          <label class="gauge-label" for={id} safe>
            {gauge.label}
          </label>
        )}
        <span class="gauge-text" safe>
          {gauge.text}
        </span>
      </div>
      {gauge.max === null ? (
        ''
      ) : (
        <meter
          id={id}
          min="0"
          max={String(gauge.max)}
          value={String(Math.min(gauge.value, gauge.max))}
          low={String(gauge.max * 0.6)}
          high={String(gauge.max * 0.8)}
          optimum="0"
          safe
        >
          {gauge.text}
        </meter>
      )}
    </div>
  )
}

export function UsageMeters({ task, now }: { task: GaugeTask; now?: number }): JSX.Element {
  return (
    <div class="gauges">
      {usageGauges(task, now).map((gauge) => (
        <GaugeRow gauge={gauge} />
      ))}
    </div>
  )
}

import {
  BudgetMinutes as BUDGET,
  BudgetCents as COST,
  MaxRuntimeMinutes as MAX_RUNTIME,
  MAX_VARIANTS,
  NETWORK_MODES,
  RUNNER_LABELS,
  type RunnerKind,
  type TaskPolicy,
} from '../domain'
import type { PolicyPreset } from '../policy'
import type { RunnerInfo } from '../workers/runner-catalog'
import { attr } from './format'
import { DISPATCH as F } from './names'

export interface DispatchFormProps {
  runners: RunnerInfo[]
  presets: PolicyPreset[]
}

const RUNNER_ORDER: RunnerKind[] = ['codex', 'claude-code', 'shell']

function ListField({ name, label, values }: { name: string; label: string; values: string[] }): JSX.Element {
  return (
    <div class="field">
      <label for={`d-${name}`} safe>
        {label}
      </label>
      <textarea id={`d-${name}`} name={name} rows="2" class="mono" data-policy-field safe>
        {values.join('\n')}
      </textarea>
    </div>
  )
}

function Check({ name, label, checked }: { name: string; label: string; checked: boolean }): JSX.Element {
  return (
    <label class="check">
      <input type="checkbox" name={name} value="true" checked={checked} data-policy-field />{' '}
      <span safe>{label}</span>
    </label>
  )
}

/** The policy fields, filled from the default preset; the preset select refills them (dispatch.js). */
function AdvancedPolicy({ policy }: { policy: TaskPolicy }): JSX.Element {
  return (
    <details class="advanced">
      <summary>Advanced policy</summary>
      <p class="hint">These fields apply when the permissions are "Custom policy"; editing one selects it.</p>
      <fieldset>
        <legend>Network</legend>
        {NETWORK_MODES.map((mode) => (
          <label class="check">
            <input
              type="radio"
              name={F.networkMode}
              value={mode}
              checked={policy.network_mode === mode}
              data-policy-field
            />{' '}
            {mode}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Allow</legend>
        <Check name={F.allowGitWrite} label="git writes (commit, branch)" checked={policy.allow_git_write} />
        <Check name={F.allowSecrets} label="secrets in the environment" checked={policy.allow_secrets} />
        <Check
          name={F.requireApproval}
          label="wait for my approval before it starts"
          checked={policy.require_approval}
        />
      </fieldset>
      <div class="field">
        <label for="d-max-runtime">Max runtime (minutes, blank for none)</label>
        <input
          id="d-max-runtime"
          type="number"
          name={F.maxRuntimeMinutes}
          min={String(MAX_RUNTIME.minimum)}
          max={String(MAX_RUNTIME.maximum)}
          step="1"
          value={policy.max_runtime_minutes === null ? undefined : String(policy.max_runtime_minutes)}
          data-policy-field
        />
      </div>
      <ListField
        name={F.blockedCommands}
        label="Blocked commands (one per line)"
        values={policy.blocked_commands}
      />
      <ListField
        name={F.allowedWorkspaces}
        label="Allowed workspaces (one per line, blank for any)"
        values={policy.allowed_workspaces}
      />
      <ListField
        name={F.allowedFileGlobs}
        label="Allowed file globs (one per line, blank for any)"
        values={policy.allowed_file_globs}
      />
      <ListField
        name={F.allowedMcpTools}
        label="Allowed MCP tools (one per line, blank for any)"
        values={policy.allowed_mcp_tools}
      />
    </details>
  )
}

/**
 * The composer: create a task and start it. The goal or command first, then the few choices a
 * run needs on one row; the advanced policy folded. The workspace comes from the switcher in the
 * inspector (form="dispatch-form").
 */
export function DispatchForm({ runners, presets }: DispatchFormProps): JSX.Element {
  const available = new Map(runners.map((runner) => [runner.runner, runner.available]))
  const preferred = RUNNER_ORDER.find((runner) => available.get(runner)) ?? 'shell'
  const defaults = presets.find((preset) => preset.id === 'default') ?? presets[0]
  const presetPolicies = JSON.stringify(
    Object.fromEntries(presets.map((preset) => [preset.id, preset.policy])),
  )
  return (
    <section id="composer" class="composer" aria-labelledby="dispatch-h">
      <h2 id="dispatch-h">New task</h2>
      <form id="dispatch-form" class="dispatch" hx-post="/ui/tasks" hx-target="#flash" data-reset-on-success>
        <div class="field" data-runner-only="agent">
          <label for="d-prompt">Goal</label>
          <textarea id="d-prompt" name={F.prompt} rows="3" placeholder="What should the agent do?"></textarea>
        </div>
        <div class="field" data-runner-only="shell">
          <label for="d-command">Shell command</label>
          <textarea id="d-command" name={F.command} rows="2" class="mono" placeholder="npm test"></textarea>
        </div>
        <div class="composer-row">
          <div class="field">
            <label for="d-runner">Runner</label>
            <select id="d-runner" name={F.runner}>
              {RUNNER_ORDER.map((runner) => (
                <option
                  value={runner}
                  selected={runner === preferred}
                  disabled={available.get(runner) === false}
                >
                  {
                    `${RUNNER_LABELS[runner]}${available.get(runner) === false ? ' (unavailable)' : ''}` as 'safe'
                  }
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="d-preset">Permissions</label>
            <select id="d-preset" name={F.preset} data-presets={attr(presetPolicies)}>
              {presets.map((preset) => (
                <option value={preset.id} selected={preset === defaults} title={preset.description} safe>
                  {preset.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field field-number">
            <label for="d-budget">Runtime budget (min)</label>
            <input
              id="d-budget"
              type="number"
              name={F.budgetMinutes}
              min={String(BUDGET.minimum)}
              max={String(BUDGET.maximum)}
              step="any"
              value="15"
            />
          </div>
          <div class="field field-number">
            <label for="d-cost">Cost budget (USD)</label>
            <input
              id="d-cost"
              type="number"
              name={F.costUsd}
              min={String(COST.minimum / 100)}
              max={String(COST.maximum / 100)}
              step="0.01"
              placeholder="no cap"
            />
          </div>
        </div>
        <div class="composer-row">
          <div class="field field-wide">
            <label for="d-title">Title</label>
            <input
              id="d-title"
              name={F.title}
              maxlength="500"
              placeholder="taken from the goal or command when empty"
            />
          </div>
          <div class="field" data-runner-only="agent">
            <label for="d-model">Model</label>
            <input id="d-model" name={F.model} placeholder="the CLI's default" autocomplete="off" />
          </div>
        </div>
        <div class="composer-row">
          <div class="field field-number">
            <label for="d-attempts">Attempts</label>
            <input
              id="d-attempts"
              type="number"
              name={F.attempts}
              min="1"
              max={String(MAX_VARIANTS)}
              step="1"
              value="1"
            />
          </div>
          <div class="field field-wide">
            <label for="d-variant-runners">Or one attempt per runner</label>
            <input
              id="d-variant-runners"
              name={F.variantRunners}
              placeholder="claude-code, codex:gpt-5.5 (runner, optionally :model)"
              autocomplete="off"
              aria-describedby="d-variants-hint"
            />
            <p id="d-variants-hint" class="hint" safe>
              {`Up to ${MAX_VARIANTS}: each attempt is a task of its own, compared side by side.`}
            </p>
          </div>
        </div>
        {defaults ? <AdvancedPolicy policy={defaults.policy} /> : ''}
        <div class="composer-submit">
          <button type="submit" class="primary">
            Start task
          </button>
        </div>
      </form>
    </section>
  )
}

import type { EffectivePolicy, LimitMechanism, RunLimitsRecord, TaskView, ToolApproval } from '../domain'
import { count, dateTime, dollars, megabytes } from './format'
import { RunProgress } from './run-progress'
import { UsageMeters } from './usage-meters'

export interface DetailsProps {
  task: TaskView
  approvals: ToolApproval[]
}

const DECIDED_SHOWN = 5

function Flag({ on, label }: { on: boolean; label: string }): JSX.Element {
  return (
    <span class={on ? 'flag flag-on' : 'flag'} safe>
      {`${label}: ${on ? 'yes' : 'no'}`}
    </span>
  )
}

function List({ items, empty }: { items: string[]; empty: string }): JSX.Element {
  return items.length === 0 ? (
    <span class="muted" safe>
      {empty}
    </span>
  ) : (
    <span safe>{items.join(', ')}</span>
  )
}

function Policy({ policy }: { policy: EffectivePolicy }): JSX.Element {
  return (
    <dl class="facts">
      <dt>Network</dt>
      <dd>{policy.network_mode as 'safe'}</dd>
      <dt>Permissions</dt>
      <dd>
        <Flag on={policy.allow_git_write} label="git write" />{' '}
        <Flag on={policy.allow_secrets} label="secrets" />{' '}
        <Flag on={policy.require_approval} label="approval" />
      </dd>
      <dt>Blocked commands</dt>
      <dd>
        <List items={policy.blocked_commands} empty="none" />
      </dd>
      <dt>Allowed workspaces</dt>
      <dd>
        <List items={policy.allowed_workspaces} empty="any" />
      </dd>
      <dt>Allowed files</dt>
      <dd>
        <List items={policy.allowed_file_globs} empty="any" />
      </dd>
      <dt>MCP tools</dt>
      <dd>
        <List items={policy.allowed_mcp_tools} empty="any" />
      </dd>
      <dt>Cost cap</dt>
      <dd safe>{policy.budget_cents === null ? 'none' : dollars(policy.budget_cents)}</dd>
      <dt>Max runtime</dt>
      <dd safe>{policy.max_runtime_minutes === null ? 'none' : `${policy.max_runtime_minutes} min`}</dd>
      <dt>Limits</dt>
      <dd
        safe
      >{`${count(policy.max_processes)} processes · ${count(policy.max_memory_mb)} MB memory · ${count(policy.max_output_mb)} MB output`}</dd>
    </dl>
  )
}

const MECHANISM_LABELS: Record<LimitMechanism, string> = {
  'cgroup-v1': 'cgroup v1',
  'cgroup-v2': 'cgroup v2',
  rlimit: 'rlimit',
  none: 'not enforced',
}

/** A limit as enforced, what the run used of it, and what the mechanism leaves out. */
function LimitFact({ label, text, note }: { label: string; text: string; note: string | null }): JSX.Element {
  return (
    <>
      <dt safe>{label}</dt>
      <dd>
        <span safe>{text}</span>
        {note ? (
          <div class="muted" safe>
            {note}
          </div>
        ) : (
          ''
        )}
      </dd>
    </>
  )
}

const used = (parts: (string | null)[]) => parts.filter((part): part is string => part !== null).join(' · ')

/** The limits the latest attempt ran under and how each was enforced. */
function Limits({ limits }: { limits: RunLimitsRecord }): JSX.Element {
  const { processes, memory, output } = limits
  return (
    <>
      <LimitFact
        label="Processes"
        note={processes.note}
        text={used([
          `at most ${count(processes.max)} (${MECHANISM_LABELS[processes.enforced_by]})`,
          processes.peak === null ? null : `peak ${count(processes.peak)}`,
          processes.refused ? `${count(processes.refused)} refused` : null,
        ])}
      />
      <LimitFact
        label="Memory"
        note={memory.note}
        text={used([
          `at most ${count(memory.max_mb)} MB (${MECHANISM_LABELS[memory.enforced_by]})`,
          memory.peak_mb === null ? null : `peak ${count(memory.peak_mb)} MB`,
          memory.oom_kills ? `${count(memory.oom_kills)} killed for memory` : null,
        ])}
      />
      <LimitFact
        label="Stored output"
        note={null}
        text={used([
          `at most ${count(output.max_mb)} MB`,
          output.stored_bytes === null ? null : `${megabytes(output.stored_bytes)} stored`,
          output.dropped_bytes ? `${megabytes(output.dropped_bytes)} dropped` : null,
        ])}
      />
    </>
  )
}

function Approvals({ approvals }: { approvals: ToolApproval[] }): JSX.Element {
  const pending = approvals.filter((approval) => approval.status === 'pending')
  const decided = approvals.filter((approval) => approval.status !== 'pending').slice(-DECIDED_SHOWN)
  if (approvals.length === 0) return ''
  return (
    <section
      class={pending.length > 0 ? 'approvals approvals-waiting' : 'approvals'}
      aria-labelledby="approvals-h"
    >
      <h2 id="approvals-h">
        {pending.length > 0 ? `Tool approvals waiting (${pending.length})` : 'Tool approvals'}
      </h2>
      {pending.length > 0 ? (
        <ul class="plain">
          {pending.map((approval) => (
            <li class="approval">
              <strong safe>{approval.tool}</strong>{' '}
              <a href={`#approval-${approval.id}`}>answer it in the timeline</a>
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      {decided.length > 0 ? (
        <ul class="plain decided">
          {decided.map((approval) => (
            <li>
              <span safe>{approval.tool}</span>:{' '}
              <span class={approval.status === 'allowed' ? 'ok' : 'warn'}>{approval.status as 'safe'}</span>
              {approval.decided_by ? <span class="muted" safe>{` by ${approval.decided_by}`}</span> : ''}
              {approval.message ? (
                <div class="muted" safe>
                  {approval.message}
                </div>
              ) : (
                ''
              )}
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
    </section>
  )
}

const yesNo = (value: boolean | null, yes: string, no: string, before: string) =>
  value === null ? before : value ? yes : no

/** The inspector: approvals, how far the run got, usage against its budgets, isolation, attempts, and the policy in force. */
export function TaskDetails({ task, approvals }: DetailsProps): JSX.Element {
  return (
    <aside id="inspector" class="pane inspector" tabindex="0" aria-label="Task details">
      <Approvals approvals={approvals} />
      <section aria-labelledby="progress-h">
        <h2 id="progress-h">Progress</h2>
        <RunProgress task={task} />
      </section>
      <section aria-labelledby="usage-h">
        <h2 id="usage-h">Usage and budgets</h2>
        <UsageMeters task={task} />
      </section>
      <section aria-labelledby="policy-h">
        <h2 id="policy-h">
          {task.effective_policy
            ? 'Policy and guardrails (frozen at first start)'
            : 'Policy and guardrails (draft)'}
        </h2>
        <Policy policy={task.effective_policy ?? task.policy} />
      </section>
      <section aria-labelledby="isolation-h">
        <h2 id="isolation-h">Isolation</h2>
        <dl class="facts">
          <dt>Worktree</dt>
          <dd safe>
            {yesNo(task.isolated, 'own git worktree', 'none: ran in the workspace', 'not run yet')}
          </dd>
          <dt>Sandbox</dt>
          <dd safe>{yesNo(task.sandboxed, 'bubblewrap', 'not sandboxed', 'not run yet')}</dd>
          {task.current_attempt?.limits ? <Limits limits={task.current_attempt.limits} /> : ''}
          {task.worktree_path ? (
            <>
              <dt>Path</dt>
              <dd>
                <code safe>{task.worktree_path}</code>
              </dd>
            </>
          ) : (
            ''
          )}
          {task.worktree_merged_at ? (
            <>
              <dt>Merged</dt>
              <dd safe>{dateTime(task.worktree_merged_at)}</dd>
            </>
          ) : (
            ''
          )}
          {task.worktree_cleaned_at ? (
            <>
              <dt>Cleaned up</dt>
              <dd safe>{dateTime(task.worktree_cleaned_at)}</dd>
            </>
          ) : (
            ''
          )}
        </dl>
      </section>
      <section aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        {task.attempts.length === 0 ? (
          <p class="muted">Not started yet.</p>
        ) : (
          <ol class="attempts">
            {task.attempts.map((attempt) => (
              <li>
                <span
                  safe
                >{`#${attempt.attempt_number} ${attempt.status} · ${dateTime(attempt.started_at)}`}</span>
                {attempt.exit_status ? <span safe>{` · ${attempt.exit_status}`}</span> : ''}
                {attempt.runner_host ? (
                  <span class="ran-on" safe>{` · ran on ${attempt.runner_host}`}</span>
                ) : (
                  ''
                )}
                {attempt.summary ? (
                  <div class="muted" safe>
                    {attempt.summary}
                  </div>
                ) : (
                  ''
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
    </aside>
  )
}

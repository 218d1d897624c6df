import { RUNNER_LABELS, RUNNERS, type RunnerHostView } from '../domain'
import { Layout } from './layout'

const runnersOf = (host: RunnerHostView): string =>
  RUNNERS.flatMap((runner) => {
    const found = host.runners[runner]
    return found ? [`${RUNNER_LABELS[runner]} ${found.version}`] : []
  }).join(', ') || 'none reported'

/** Every runner host, as a table; names, labels and versions are what users and hosts typed, so all escaped. */
export function RunnerHostTable({ hosts }: { hosts: RunnerHostView[] }): JSX.Element {
  if (hosts.length === 0)
    return (
      <p class="muted">
        No runner host yet. Create one with <code>POST /runner-hosts</code>; its token is shown once.
      </p>
    )
  return (
    <table class="runner-hosts">
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">Status</th>
          <th scope="col">Slots in use</th>
          <th scope="col">Labels</th>
          <th scope="col">Runners</th>
          <th scope="col">Sandbox</th>
          <th scope="col">Last heartbeat</th>
          <th scope="col">Running attempts</th>
        </tr>
      </thead>
      <tbody>
        {hosts.map((host) => (
          <tr data-host={host.id} data-status={host.status}>
            <th scope="row" safe>
              {host.name}
            </th>
            <td>
              <span class={`chip status-${host.status}`} safe>
                {host.status}
              </span>
            </td>
            <td safe>{`${host.slots_in_use} / ${host.slots}`}</td>
            <td safe>{host.labels.join(', ') || '—'}</td>
            <td safe>{runnersOf(host)}</td>
            <td safe>{host.sandbox === null ? '—' : host.sandbox ? 'yes' : 'no'}</td>
            <td>
              {host.last_heartbeat_at ? (
                <time datetime={host.last_heartbeat_at} safe>
                  {host.last_heartbeat_at}
                </time>
              ) : (
                'never'
              )}
            </td>
            <td>
              {host.running_attempts.length === 0 ? (
                'none'
              ) : (
                <ul>
                  {host.running_attempts.map((attempt) => (
                    <li>
                      <a href={`/tasks/${encodeURIComponent(attempt.task_id)}/view`} safe>
                        {`task ${attempt.task_id.slice(0, 8)}, attempt ${attempt.attempt_number} (${attempt.status})`}
                      </a>
                    </li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The runner hosts page in the mission-control frame; the table refreshes on every status change. */
export function runnerHostsPage({ hosts }: { hosts: RunnerHostView[] }): string {
  return Layout({
    title: 'Runner hosts',
    children: (
      <section class="panel" aria-labelledby="runner-hosts-h">
        <h1 id="runner-hosts-h">Runner hosts</h1>
        <div id="runner-host-table" hx-get="/ui/runner-hosts" hx-trigger="status from:#live throttle:300ms">
          <RunnerHostTable hosts={hosts} />
        </div>
        <div
          id="live"
          hx-sse:connect="/ui/events"
          hx-config='{"sse":{"pauseOnBackground":false}}'
          hidden
        ></div>
      </section>
    ),
  })
}

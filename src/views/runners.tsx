import { RUNNER_LABELS } from '../domain'
import type { RunnerInfo } from '../workers/runner-catalog'

/** Which runners can run here, before anything is dispatched: version, or the reason one cannot. */
export function RunnerPanel({ runners }: { runners: RunnerInfo[] }): JSX.Element {
  const sandbox = runners[0]
  return (
    <section class="panel" aria-labelledby="runners-h">
      <h2 id="runners-h">Runners</h2>
      <ul class="runners">
        {runners.map((runner) => (
          <li class={runner.available ? 'runner runner-ok' : 'runner runner-off'}>
            <span class="dot" aria-hidden="true"></span>
            <strong safe>{RUNNER_LABELS[runner.runner]}</strong>{' '}
            {runner.available ? (
              <span class="muted" safe>
                {runner.version ?? runner.path ?? 'available'}
              </span>
            ) : (
              <span class="reason" safe>
                {`unavailable: ${runner.reason ?? 'not found'}`}
              </span>
            )}
          </li>
        ))}
      </ul>
      {sandbox ? (
        <p class="muted" safe>
          {sandbox.sandboxed
            ? 'Runs are sandboxed with bubblewrap on this machine.'
            : `No sandbox on this machine${sandbox.sandbox_reason ? `: ${sandbox.sandbox_reason}` : ''}.`}
        </p>
      ) : (
        ''
      )}
    </section>
  )
}

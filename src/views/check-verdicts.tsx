import type { CheckResult, CheckSummary, CriterionGrade, TaskChecksView } from '../domain'
import { attr, duration } from './format'
import { visibleText } from './visible'

const VERDICT_WORDS: Record<CheckResult['verdict'], string> = {
  pending: 'not run',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  timed_out: 'timed out',
}

const GRADE_WORDS: Record<CriterionGrade['verdict'], string> = {
  met: 'met',
  not_met: 'not met',
  unclear: 'unclear',
}

const LOOP_WORDS = {
  fixing: 'sent back to the agent',
  passed: 'all green',
  exhausted: 'fix rounds used up',
} as const

/** The roster's word on the latest checks: "checks 2/3", with the round's status for colour. */
export function CheckChip({ summary }: { summary: CheckSummary | null | undefined }): JSX.Element {
  if (!summary || summary.total + summary.graded === 0) return ''
  const parts = [
    ...(summary.total > 0 ? [`checks ${summary.passed}/${summary.total}`] : []),
    ...(summary.graded > 0 ? [`criteria ${summary.met}/${summary.graded}`] : []),
  ]
  return (
    <span class={`check-chip check-${summary.status}`} data-checks={summary.status} safe>
      {parts.join(' · ')}
    </span>
  )
}

function ResultRow({ result }: { result: CheckResult }): JSX.Element {
  return (
    <tr data-check={attr(result.name)} data-verdict={result.verdict}>
      <td>
        <span class={`verdict verdict-${result.verdict}`} safe>
          {VERDICT_WORDS[result.verdict]}
        </span>
      </td>
      <th scope="row">
        <span safe>{visibleText(result.name)}</span> <code safe>{visibleText(result.command)}</code>
      </th>
      <td safe>{result.exit_status ?? ''}</td>
      <td class="num" safe>
        {result.duration_ms === null ? '' : duration(result.duration_ms)}
      </td>
      <td>
        {result.output_tail ? (
          <details>
            <summary>Output</summary>
            <pre safe>{visibleText(result.output_tail)}</pre>
          </details>
        ) : (
          ''
        )}
      </td>
    </tr>
  )
}

/** The latest round of checks and the reviewer's grades, beside each other, on the review page. */
export function ChecksPanel({ view, canRerun }: { view: TaskChecksView; canRerun: boolean }): JSX.Element {
  const run = view.latest
  if (view.checks.length === 0 && view.criteria.length === 0) return ''
  return (
    <section class="panel" id="checks" aria-labelledby="checks-h" data-checks={run?.status ?? 'none'}>
      <div class="panel-head">
        <h2 id="checks-h">Checks</h2>
        {canRerun ? (
          <button type="button" hx-post={`/ui/tasks/${view.task_id}/checks`} hx-target="#flash">
            Run checks again
          </button>
        ) : (
          ''
        )}
      </div>
      {run === null ? (
        <p class="muted">No checks ran yet.</p>
      ) : (
        <>
          <p class="muted" safe>
            {[
              `Round ${run.fix_round === 0 ? 'of the attempt' : `${run.fix_round} of the fix loop`} (${run.trigger}): ${run.status}`,
              ...(run.fix_loop ? [`fix loop: ${LOOP_WORDS[run.fix_loop]}`] : []),
              ...(view.require_checks ? ['merging requires every check to pass'] : []),
            ].join(' · ')}
          </p>
          {run.results.length > 0 ? (
            <table class="checks">
              <caption class="visually-hidden">Check verdicts</caption>
              <thead>
                <tr>
                  <th scope="col">Verdict</th>
                  <th scope="col">Check</th>
                  <th scope="col">Exit</th>
                  <th scope="col" class="num">
                    Time
                  </th>
                  <th scope="col">Output</th>
                </tr>
              </thead>
              <tbody>
                {run.results.map((result) => (
                  <ResultRow result={result} />
                ))}
              </tbody>
            </table>
          ) : (
            ''
          )}
          {view.criteria.length > 0 ? (
            <div class="criteria">
              <h3>Acceptance criteria</h3>
              {run.review_error ? (
                <p class="warn" safe>
                  {visibleText(`Not graded: ${run.review_error}`)}
                </p>
              ) : (
                ''
              )}
              <ul>
                {run.grades.map((grade) => (
                  <li data-verdict={grade.verdict}>
                    <span class={`verdict verdict-${grade.verdict}`} safe>
                      {GRADE_WORDS[grade.verdict]}
                    </span>{' '}
                    <span safe>{visibleText(grade.criterion)}</span>
                    <br />
                    <small class="muted" safe>
                      {visibleText(grade.reason)}
                    </small>
                  </li>
                ))}
              </ul>
            </div>
          ) : (
            ''
          )}
        </>
      )}
    </section>
  )
}

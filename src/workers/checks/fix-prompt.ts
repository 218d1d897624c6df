import type { CheckRun } from '../../domain'

/**
 * The follow-up a fix round sends the agent: each check that did not pass, with its command, how
 * it ended and the tail of its output, quoted as data. The output is the check's (hostile like any
 * run's); it goes to the agent only, which works inside the same containment.
 */
export function fixPrompt(run: CheckRun, round: number, rounds: number): string {
  const failing = run.results.filter(
    (result) => result.verdict === 'failed' || result.verdict === 'timed_out',
  )
  const sections = failing.map((result) => {
    const ending =
      result.verdict === 'timed_out'
        ? `timed out after ${result.timeout_seconds} s`
        : `failed (${result.exit_status})`
    return [
      `Check "${result.name}" ${ending}.`,
      `Command: ${result.command}`,
      'The last lines of its output:',
      '```',
      result.output_tail,
      '```',
    ].join('\n')
  })
  return [
    `Your changes do not pass ${failing.length === 1 ? 'a check' : `${failing.length} checks`} yet (fix round ${round} of ${rounds}).`,
    ...sections,
    'Change the code so that every check passes; the checks run again after this turn.',
  ].join('\n\n')
}

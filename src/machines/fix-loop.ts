import type { FixLoopOutcome } from '../domain'

export interface FixLoopFacts {
  /** Every check of the round passed (and, with criteria, none was graded not met). */
  passed: boolean
  /** The round that just ran: 0 for the task's own attempt. */
  fixRound: number
  /** The policy's `fix_rounds`. */
  fixRounds: number
  /** The runner takes a follow-up (an agent with a session). */
  canFollowUp: boolean
}

/**
 * What the fix loop does after a round of checks: send the agent another round (`fixing`), stop
 * at the first all-green round (`passed`) or once the rounds are used up (`exhausted`). Without
 * fix rounds there is no loop (null).
 */
export function fixLoopOutcome(facts: FixLoopFacts): FixLoopOutcome | null {
  if (facts.fixRounds === 0) return null
  if (facts.passed) return 'passed'
  return facts.fixRound < facts.fixRounds && facts.canFollowUp ? 'fixing' : 'exhausted'
}

import { describe, expect, test } from 'bun:test'
import { fixLoopOutcome } from '../../src/machines/fix-loop'
import { checksOf } from '../../src/workers/checks/check-list'
import { OutputTail } from '../../src/workers/checks/output-tail'

describe('the fix loop decides', () => {
  const facts = { passed: false, fixRound: 0, fixRounds: 2, canFollowUp: true }
  test('no loop without fix rounds; green ends it; rounds left send the agent back; none left, exhausted', () => {
    expect(fixLoopOutcome({ ...facts, fixRounds: 0 })).toBeNull()
    expect(fixLoopOutcome({ ...facts, passed: true, fixRound: 1 })).toBe('passed')
    expect(fixLoopOutcome(facts)).toBe('fixing')
    expect(fixLoopOutcome({ ...facts, fixRound: 1 })).toBe('fixing')
    expect(fixLoopOutcome({ ...facts, fixRound: 2 })).toBe('exhausted')
    expect(fixLoopOutcome({ ...facts, canFollowUp: false })).toBe('exhausted')
  })
})

describe('the checks a task runs', () => {
  test("the workspace's first, a task check of the same name in its place, the timeout filled in", () => {
    const shared = [
      { name: 'lint', command: 'bun run lint' },
      { name: 'tests', command: 'bun test', timeout_seconds: 60 },
    ]
    const own = [
      { name: 'tests', command: 'npm test' },
      { name: 'types', command: 'tsc', timeout_seconds: 30 },
    ]
    expect(checksOf(shared, own)).toEqual([
      { name: 'lint', command: 'bun run lint', timeout_seconds: 600 },
      { name: 'tests', command: 'npm test', timeout_seconds: 600 },
      { name: 'types', command: 'tsc', timeout_seconds: 30 },
    ])
  })
})

describe("a check's output tail", () => {
  test('keeps the last lines within its bounds', () => {
    const tail = new OutputTail(3, 20)
    for (const line of ['one', 'two', 'three', 'four']) tail.add(line)
    expect(tail.toString()).toBe('two\nthree\nfour')
    tail.add('x'.repeat(30))
    expect(tail.toString()).toBe('x'.repeat(20))
  })
})

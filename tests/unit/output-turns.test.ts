import { expect, test } from 'bun:test'
import { OutputTurns } from '../../src/process/output-turns'

test('a reader goes on while the turn has budget, and waits for the next turn once it is spent', async () => {
  const turns = new OutputTurns(60_000)
  // No turn has started yet: the first piece waits for one.
  const first = turns.pause()
  expect(first).toBeInstanceOf(Promise)
  await first
  expect(turns.pause()).toBeNull()

  const spent = new OutputTurns(0)
  const wait = spent.pause()
  let resumed = false
  wait?.then(() => (resumed = true))
  // Nothing resumes in the same tick: the loop gets its turn (requests, timers) first.
  await Promise.resolve()
  expect(resumed).toBe(false)
  await wait
  expect(resumed).toBe(true)
  expect(spent.pause()).toBeInstanceOf(Promise)
})

test('readers waiting together take turns going first, so none starves the others', async () => {
  // A budget of nothing: every reader waits at every piece, and all of them resume in each turn.
  const turns = new OutputTurns(0)
  const resumed: string[] = []
  const reader = async (name: string) => {
    for (let i = 0; i < 3; i++) {
      await turns.pause()
      resumed.push(name)
    }
  }
  await Promise.all(['a', 'b', 'c'].map(reader))
  expect(resumed).toHaveLength(9)
  // Resumed in turns of three; whoever went first in one turn goes last in the next.
  const firsts = [resumed[0], resumed[3], resumed[6]]
  expect(new Set(firsts).size).toBe(3)
  expect(resumed.slice(0, 3)).toEqual(['b', 'c', 'a'])
  expect(resumed.slice(3, 6)).toEqual(['c', 'a', 'b'])
})

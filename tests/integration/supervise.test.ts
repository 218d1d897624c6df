import { describe, expect, test } from 'bun:test'
import { groupAlive, processLiving } from '../../src/process/process-group'
import { type OutputStream, SupervisedProcess } from '../../src/process/supervise'
import { waitFor } from '../support/temp'

interface Captured {
  lines: { stream: OutputStream; line: string; partial: boolean }[]
  waiting: { evidence: string; prompt: string }[]
}

function run(script: string, options: { keepStdin?: boolean; graceMs?: number } = {}) {
  const captured: Captured = { lines: [], waiting: [] }
  const process = new SupervisedProcess(
    {
      argv: ['/bin/sh', '-c', script],
      cwd: '/tmp',
      env: { PATH: '/usr/bin:/bin' },
      keepStdin: options.keepStdin ?? true,
    },
    {
      onLine: (stream, line, partial) => {
        captured.lines.push({ stream, line, partial })
        return undefined
      },
      onWaitingForInput: (evidence, prompt) => {
        captured.waiting.push({ evidence, prompt })
      },
    },
    { stopGraceMs: options.graceMs ?? 2000, idleMs: 150 },
  )
  return { process, captured }
}

describe('supervised process', () => {
  test('stdout and stderr become lines in order; the exit status is reported', async () => {
    const { process: child, captured } = run('printf "a\\nb\\r\\n"; echo err >&2; exit 3')
    const exit = await child.exited
    expect(exit).toEqual({ code: 3, signal: null, text: 'exit status: 3' })
    expect(captured.lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['a', 'b'])
    expect(captured.lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err'])
  })

  test('invalid UTF-8 never breaks the reader', async () => {
    const { process: child, captured } = run("printf 'ok\\377\\376bad\\nafter\\n'")
    expect((await child.exited).code).toBe(0)
    expect(captured.lines.map((l) => l.line)).toEqual(['ok\uFFFD\uFFFDbad', 'after'])
  })

  test('stop ends the whole process group, grandchildren included', async () => {
    const { process: child, captured } = run('sleep 1000 & echo $!; wait')
    const pid = Number((await waitFor('grandchild pid', () => captured.lines[0])).line)
    expect(processLiving(pid)).toBe(true)
    const exit = await child.stop()
    expect(exit.signal).toBe('SIGTERM')
    expect(processLiving(pid)).toBe(false)
    expect(await groupAlive(child.pid)).toBe(false)
  })

  test('a grandchild that ignores SIGTERM is killed after the grace period', async () => {
    const { process: child, captured } = run(
      "trap '' TERM; sh -c \"trap '' TERM; sleep 1000\" & echo $!; wait",
      {
        graceMs: 300,
      },
    )
    const pid = Number((await waitFor('grandchild pid', () => captured.lines[0])).line)
    expect(processLiving(pid)).toBe(true)
    await child.stop()
    expect(processLiving(pid)).toBe(false)
    expect(await groupAlive(child.pid)).toBe(false)
  })

  test('background processes left behind by a finished command do not survive it', async () => {
    const { process: child, captured } = run('sleep 1000 > /dev/null 2>&1 & echo $!')
    const exit = await child.exited
    expect(exit.code).toBe(0)
    const pid = Number(captured.lines[0]?.line)
    expect(processLiving(pid)).toBe(false)
  })

  test('a prompt without a newline is flushed and recognised as waiting for input; a reply continues', async () => {
    const { process: child, captured } = run('printf "Name? "; read name; echo "hello $name"')
    const waiting = await waitFor('waiting for input', () => captured.waiting[0])
    expect(waiting.prompt).toBe('Name? ')
    expect(waiting.evidence).toBe(process.platform === 'linux' ? 'stdin-read' : 'prompt-text')
    expect(captured.lines[0]).toEqual({ stream: 'stdout', line: 'Name? ', partial: true })
    expect(child.write('Ada\n')).toBe(true)
    expect((await child.exited).code).toBe(0)
    expect(captured.lines.at(-1)?.line).toBe('hello Ada')
  })

  test('a quiet process that is not reading stdin is not reported as waiting', async () => {
    const { process: child, captured } = run('printf "working... "; sleep 0.8; echo done')
    expect((await child.exited).code).toBe(0)
    if (process.platform === 'linux') expect(captured.waiting).toEqual([])
    expect(captured.lines.map((l) => l.line)).toEqual(['working... ', 'done'])
  })
})

describe('the idle partial-line flush', () => {
  test('never cuts a line while the reader waits on backpressure, however long the wait', async () => {
    const idleMs = 20
    const lines: { stream: OutputStream; line: string; partial: boolean }[] = []
    let release!: () => void
    const backpressure = new Promise<void>((resolve) => (release = resolve))
    let restWritten!: () => void
    const restWrittenSeen = new Promise<void>((resolve) => (restWritten = resolve))
    // The first chunk ends in the middle of a line and its first line is answered with
    // backpressure. Only then is the rest of the line written (the reply on stdin lets the script
    // go on), so it waits unread in the pipe; stderr says when it is there.
    const child = new SupervisedProcess(
      {
        argv: ['/bin/sh', '-c', "printf 'first\\nhal'; read go; printf 'f\\n'; echo written >&2; read done"],
        cwd: '/tmp',
        env: { PATH: '/usr/bin:/bin' },
        keepStdin: true,
      },
      {
        onLine: (stream, line, partial) => {
          lines.push({ stream, line, partial })
          if (stream === 'stderr') restWritten()
          return line === 'first' ? backpressure : undefined
        },
        onWaitingForInput: () => undefined,
      },
      { stopGraceMs: 1000, idleMs },
    )
    try {
      await waitFor('the first line', () => lines.length > 0)
      expect(child.write('go\n')).toBe(true)
      await restWrittenSeen
      // The scenario itself: backpressure held for many idle periods. Timers fire in deadline
      // order, so every idle check due in that time has run when this one resolves.
      await Bun.sleep(idleMs * 10)
      release()
      await waitFor('the rest of the line', () =>
        lines.some((l) => l.stream === 'stdout' && l.line !== 'first'),
      )
      expect(lines.filter((l) => l.stream === 'stdout')).toEqual([
        { stream: 'stdout', line: 'first', partial: false },
        { stream: 'stdout', line: 'half', partial: false },
      ])
    } finally {
      await child.stop()
    }
  })
})

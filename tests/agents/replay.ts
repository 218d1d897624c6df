import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentAdapter, AgentSession, AgentSignal, SessionRequest } from '../../src/agents'
import type { NewEvent } from '../../src/domain'

/** Feeds recorded stdout lines (tests/agents/fixtures) to a session, as the supervisor would. */

export const FIXTURE_CWD = '/fixture/repo'

export const fixtureLines = (name: string): string[] =>
  readFileSync(join(import.meta.dir, 'fixtures', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)

export class Replay {
  readonly events: NewEvent[] = []
  readonly signals: AgentSignal[] = []
  /** Protocol messages the session wrote to stdin, parsed. */
  readonly written: Record<string, unknown>[] = []
  readonly session: AgentSession

  constructor(adapter: AgentAdapter, request: Partial<SessionRequest> = {}) {
    this.session = adapter.createSession(
      { cwd: FIXTURE_CWD, permissionMode: 'supervised', ...request },
      { writeLine: (line) => this.written.push(JSON.parse(line)) },
    )
  }

  /** Feeds lines; `react` runs after each line with the signals that line produced. */
  feed(lines: string[], react: (signals: AgentSignal[], line: string) => void = () => {}): this {
    for (const line of lines) {
      const output = this.session.onStdoutLine(line)
      this.events.push(...output.events)
      this.signals.push(...output.signals)
      react(output.signals, line)
    }
    return this
  }

  types(): string[] {
    return this.events.map((event) => String(event.metadata?.type))
  }

  eventsOf(type: string): NewEvent[] {
    return this.events.filter((event) => event.metadata?.type === type)
  }

  signalsOf<T extends AgentSignal['type']>(type: T): Extract<AgentSignal, { type: T }>[] {
    return this.signals.filter((signal): signal is Extract<AgentSignal, { type: T }> => signal.type === type)
  }
}

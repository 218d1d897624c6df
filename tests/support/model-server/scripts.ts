import type { Conversation } from './conversation'

/**
 * The scripted model. A prompt picks a script with a marker such as `SCRIPT:write-file hello.txt`;
 * the step is the number of tool results since that prompt. Planning only from the history makes
 * retries, non-streaming fallbacks and resumed sessions all get the same answer.
 *
 * Scripts:
 * - `write-file <path> [content…]`  one file write (Claude Write, Codex apply_patch), then a summary
 * - `write-large <path> <bytes>`    like write-file, with `largeContent(bytes)`: made here, as a
 *                                    prompt could not hold it
 * - `bash <command…>`               one shell command, then a summary
 * - `write-then-bash <path> <command…>`  a file write, then a shell command, then a summary
 * - `escalate <command…>`           like bash, but Codex is asked to run it outside its sandbox,
 *                                    which is what makes Codex ask for approval
 * - `long [seconds]`                a short text, then the stream is held open (with pings)
 * - `usage <in> <out> <cacheRead> <cacheWrite>`  a text answer with these per-request token counts
 * - `echo` or no marker             a text answer that echoes the prompt and the history size
 *
 * A request that offers the StructuredOutput tool (Claude's `--json-schema`) is a review: the
 * model grades each numbered criterion of the prompt against the `<diff>` it holds, "met" when
 * the criterion's backquoted text is on an added line, "not_met" when it is not, "unclear" for a
 * criterion without one, and answers through that tool.
 */

export type ToolCall =
  | { kind: 'write'; path: string; content: string }
  | { kind: 'bash'; command: string; escalate: boolean }
  | { kind: 'structured'; input: unknown }

/** Token counts of one model request; `input` excludes cached tokens (Anthropic's convention). */
export interface Usage {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

export interface Reply {
  text: string
  tool?: ToolCall
  /** Hold the stream open this long after the text, as a long-running generation would. */
  holdMs?: number
  usage: Usage
}

export const DEFAULT_USAGE: Usage = { input: 100, output: 20, cacheRead: 30, cacheWrite: 5 }

const DEFAULT_HOLD_SECONDS = 60

/**
 * Numbered lines, at least `bytes` of UTF-8 in all: mostly 3-byte characters, so it holds about
 * twice as many bytes as characters (an agent's protocol line, capped in characters, holds it).
 */
export function largeContent(bytes: number): string {
  const lines: string[] = []
  let total = 0
  for (let n = 1; total < bytes; n++) {
    const line = `line ${n}: ${'€'.repeat(30)} naïve café\n`
    lines.push(line)
    total += Buffer.byteLength(line)
  }
  return lines.join('')
}

interface Marker {
  name: string
  args: string[]
}

function markerOf(prompt: string): Marker {
  const match = /SCRIPT:([\w-]+)([^\n]*)/.exec(prompt)
  if (!match?.[1]) return { name: 'echo', args: [] }
  return { name: match[1], args: (match[2] ?? '').trim().split(/\s+/).filter(Boolean) }
}

function summary(conversation: Conversation, usage: Usage): Reply {
  const last = conversation.toolResults.at(-1)
  const outcome = last?.isError ? 'Tool failed' : 'Tool done'
  return { text: `${outcome}: ${(last?.output ?? '').slice(0, 300)}`, usage }
}

function echo(conversation: Conversation, usage: Usage): Reply {
  return { text: `echo: ${conversation.prompt} | prompts in history: ${conversation.promptCount}`, usage }
}

function usageOf(args: string[]): Usage {
  const [input, output, cacheRead, cacheWrite] = args.map(Number)
  return {
    input: input || DEFAULT_USAGE.input,
    output: output || DEFAULT_USAGE.output,
    cacheRead: cacheRead ?? DEFAULT_USAGE.cacheRead,
    cacheWrite: cacheWrite ?? DEFAULT_USAGE.cacheWrite,
  }
}

/** The grades of a review prompt (see above), as the StructuredOutput tool's input. */
function grade(prompt: string) {
  const section = /Acceptance criteria:\n([\s\S]*?)\n\n/.exec(prompt)?.[1] ?? ''
  const criteria = [...section.matchAll(/^(\d+)\. (.*)$/gm)].map((match) => ({
    number: Number(match[1]),
    text: match[2] ?? '',
  }))
  const diff = /<diff>\n([\s\S]*)\n<\/diff>/.exec(prompt)?.[1] ?? ''
  const added = diff.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++'))
  return {
    grades: criteria.map(({ number, text }) => {
      const quoted = /`([^`]+)`/.exec(text)?.[1]
      if (quoted === undefined)
        return { criterion: number, verdict: 'unclear', reason: 'nothing in the criterion to look for' }
      const found = added.some((line) => line.includes(quoted))
      return {
        criterion: number,
        verdict: found ? 'met' : 'not_met',
        reason: found ? `the diff adds "${quoted}"` : `no added line holds "${quoted}"`,
      }
    }),
  }
}

export function plan(conversation: Conversation): Reply {
  if (conversation.sideCall) return { text: '{"title":"Scripted session"}', usage: DEFAULT_USAGE }
  if (conversation.structuredOutput && conversation.toolResults.length === 0)
    return {
      text: 'Grading.',
      tool: { kind: 'structured', input: grade(conversation.prompt) },
      usage: DEFAULT_USAGE,
    }
  const { name, args } = markerOf(conversation.prompt)
  const step = conversation.toolResults.length
  const usage = name === 'usage' ? usageOf(args) : DEFAULT_USAGE
  if (name === 'write-then-bash' && step === 1)
    return {
      text: 'Now a command.',
      tool: { kind: 'bash', command: args.slice(1).join(' ') || 'true', escalate: false },
      usage,
    }
  if (name === 'write-then-bash' && step === 0) {
    const path = args[0] ?? 'hello.txt'
    return {
      text: `Writing ${path}.`,
      tool: { kind: 'write', path, content: 'hello from the scripted model\n' },
      usage,
    }
  }
  if (step > 0) return summary(conversation, usage)
  switch (name) {
    case 'write-file': {
      const path = args[0] ?? 'hello.txt'
      const content = `${args.slice(1).join(' ') || 'hello from the scripted model'}\n`
      return { text: `Writing ${path}.`, tool: { kind: 'write', path, content }, usage }
    }
    case 'write-large': {
      const path = args[0] ?? 'large.txt'
      const content = largeContent(Number(args[1] ?? 1024 * 1024))
      return { text: `Writing ${path}.`, tool: { kind: 'write', path, content }, usage }
    }
    case 'bash':
    case 'escalate':
      return {
        text: 'Running a command.',
        tool: { kind: 'bash', command: args.join(' ') || 'true', escalate: name === 'escalate' },
        usage,
      }
    case 'long':
      return {
        text: 'Working on a long task.',
        holdMs: Number(args[0] ?? DEFAULT_HOLD_SECONDS) * 1000,
        usage,
      }
    default:
      return echo(conversation, usage)
  }
}

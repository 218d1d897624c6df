import { arr, type Json, obj, parseJsonObject, str } from '../json'

/**
 * Commands Codex ran but did not stream. A command that fails inside Codex's own sandbox (a write
 * outside the workspace: "Read-only file system", exit 1) usually comes with no `item/started` or
 * `item/completed` at all, and is missing from the thread's saved items too: the model is told,
 * the timeline would not be. What does carry it is the raw Responses API stream Codex opts a new
 * thread into (`experimentalRawEvents`): the model's `function_call` of its shell tool, then the
 * `function_call_output` it was given ("Process exited with code 1 … Output: …"). A call whose
 * output arrives while no command item with its id was streamed becomes a command item here, so
 * the timeline shows it like any other, with its exit status and output.
 */
export class UnstreamedCommands {
  /** Shell tool calls of the model whose output has not arrived yet: call id → command. */
  private readonly calls = new Map<string, string>()
  /** Command items Codex streamed whose call output has not arrived yet. */
  private readonly streamed = new Set<string>()

  /** Notes a streamed item (`item/started`, `item/completed`). */
  noteItem(item: Json): void {
    const id = str(item.id)
    if (id && item.type === 'commandExecution') this.streamed.add(id)
  }

  /** A raw response item; returns the command item Codex did not stream, if this completes one. */
  rawItem(item: Json): Json | null {
    const callId = str(item.call_id)
    if (!callId) return null
    if (item.type === 'function_call') {
      const command = shellCommandOf(item)
      if (command !== null) this.calls.set(callId, command)
      return null
    }
    if (item.type !== 'function_call_output') return null
    const command = this.calls.get(callId)
    this.calls.delete(callId)
    const wasStreamed = this.streamed.delete(callId)
    if (command === undefined || wasStreamed) return null
    return commandItem(callId, command, outputText(item.output))
  }
}

/** The command of a call to Codex's shell tools (`exec_command {cmd}`, the older `shell {command: [...]}`). */
function shellCommandOf(item: Json): string | null {
  const name = str(item.name)
  if (name !== 'exec_command' && name !== 'shell') return null
  const args = parseJsonObject(str(item.arguments) ?? '') ?? {}
  if (typeof args.cmd === 'string') return args.cmd
  if (Array.isArray(args.command)) return args.command.filter((part) => typeof part === 'string').join(' ')
  return str(args.command) ?? null
}

/** A tool output is a string, or content items whose texts make it up. */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output
  return arr(output)
    .map((part) => str(obj(part).text) ?? '')
    .join('')
}

/** A `commandExecution` item from what the shell tool told the model. */
function commandItem(callId: string, command: string, text: string): Json {
  const exit = /^Process exited with code (-?\d+)$/m.exec(text)
  const exitCode = exit ? Number(exit[1]) : null
  const marker = '\nOutput:\n'
  const at = text.indexOf(marker)
  return {
    type: 'commandExecution',
    id: callId,
    command,
    aggregatedOutput: at === -1 ? text : text.slice(at + marker.length),
    exitCode,
    status: exitCode === null ? null : exitCode === 0 ? 'completed' : 'failed',
  }
}

/**
 * What the scripted model needs to know about a request, read from the history the CLI sends.
 * Both APIs are reduced to the same shape so one planner serves both.
 */
export interface Conversation {
  /** Text of the latest real user prompt (not a tool result, not injected context). */
  prompt: string
  /** How many real user prompts the history holds, so follow-ups can prove context was kept. */
  promptCount: number
  /** Tool results that came back after the latest prompt, oldest first. */
  toolResults: ToolResult[]
  /** The agent's working directory as stated in its system prompt or environment context. */
  cwd: string | null
  /** True for Claude's tool-less side calls (session titles), which must not advance a script. */
  sideCall: boolean
  /** The CLI was asked for structured output (Claude's `--json-schema` offers a StructuredOutput tool). */
  structuredOutput?: boolean
}

export interface ToolResult {
  output: string
  isError: boolean
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null

/** Injected context (system reminders, environment blocks, abort notes) is always tag-wrapped. */
const isInjected = (text: string): boolean => text.trimStart().startsWith('<')

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : textOf(part?.content)))
    .join('\n')
}

function lastMatch(texts: string[], pattern: RegExp): string | null {
  for (let i = texts.length - 1; i >= 0; i--) {
    const match = pattern.exec(texts[i] ?? '')
    if (match?.[1]) return match[1].trim()
  }
  return null
}

/** Anthropic Messages: `system` blocks plus `messages`, which may include role "system" notes. */
export function fromAnthropic(body: Json): Conversation {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : []
  let prompt = ''
  let promptCount = 0
  let toolResults: ToolResult[] = []
  for (const message of messages) {
    if (message.role !== 'user') continue
    const parts =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content
    if (!Array.isArray(parts)) continue
    for (const result of parts.filter((part): part is Json => isObject(part) && part.type === 'tool_result'))
      toolResults.push({ output: textOf(result.content), isError: result.is_error === true })
    // After an interrupted tool use, Claude sends the next prompt in the same message as the result.
    const texts = parts
      .filter((part): part is Json => isObject(part) && part.type === 'text' && typeof part.text === 'string')
      .map((part) => String(part.text))
      .filter((text) => !isInjected(text))
    if (texts.length === 0) continue
    prompt = texts.join('\n')
    promptCount++
    toolResults = []
  }
  // Older releases state the cwd in `system`; 2.1.3xx moved it into a role "system" message.
  const texts = [textOf(body.system), ...messages.map((message) => textOf(message.content))]
  const tools = Array.isArray(body.tools) ? body.tools : []
  return {
    prompt,
    promptCount,
    toolResults,
    cwd: lastMatch(texts, /Primary working directory: (.+)$/m),
    sideCall: tools.length === 0,
    structuredOutput: tools.some((tool) => isObject(tool) && tool.name === 'StructuredOutput'),
  }
}

/** OpenAI Responses: a flat `input` list of messages, tool calls and tool outputs. */
export function fromOpenAI(body: Json): Conversation {
  const items = Array.isArray(body.input) ? body.input.filter(isObject) : []
  let prompt = ''
  let promptCount = 0
  let toolResults: ToolResult[] = []
  const texts: string[] = []
  for (const item of items) {
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      const output = typeof item.output === 'string' ? item.output : textOf(item.output)
      toolResults.push({ output, isError: /exited with code [1-9]|rejected|failed/i.test(output) })
      continue
    }
    if (item.type !== 'message' && item.type !== undefined) continue
    const text = textOf(item.content)
    texts.push(text)
    if (item.role !== 'user' || isInjected(text)) continue
    prompt = text
    promptCount++
    toolResults = []
  }
  return { prompt, promptCount, toolResults, cwd: lastMatch(texts, /<cwd>([^<]+)<\/cwd>/), sideCall: false }
}

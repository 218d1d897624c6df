/** A piece of assistant text: prose, or a fenced code block. */
export interface TextBlock {
  kind: 'prose' | 'code'
  text: string
  language?: string
}

const FENCE = /^```([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:\n```[ \t]*(?:\n|$)|$)/m

/** Splits markdown-ish agent text into prose and fenced code blocks (an unclosed fence runs to the end). */
export function splitFences(text: string): TextBlock[] {
  const blocks: TextBlock[] = []
  let rest = text
  while (rest !== '') {
    const match = FENCE.exec(rest)
    if (!match) {
      blocks.push({ kind: 'prose', text: rest })
      break
    }
    const before = rest.slice(0, match.index)
    if (before.trim() !== '') blocks.push({ kind: 'prose', text: before.replace(/\n$/, '') })
    blocks.push({ kind: 'code', text: match[2] ?? '', language: match[1] || undefined })
    rest = rest.slice(match.index + match[0].length)
  }
  return blocks
}

/** Prose keeps its line breaks (CSS pre-wrap); `inline code` gets a code element. All text is escaped. */
function Prose({ text }: { text: string }): JSX.Element {
  const parts = text.split(/(`[^`\n]+`)/)
  return (
    <p class="md">
      {parts.map((part) =>
        part.length > 2 && part.startsWith('`') && part.endsWith('`') ? (
          <code safe>{part.slice(1, -1)}</code>
        ) : (
          <span safe>{part}</span>
        ),
      )}
    </p>
  )
}

export function AgentText({ text }: { text: string }): JSX.Element {
  return (
    <div class="agent-text">
      {splitFences(text).map((block) =>
        block.kind === 'code' ? (
          <pre class="code" data-lang={block.language}>
            <code safe>{block.text}</code>
          </pre>
        ) : (
          <Prose text={block.text} />
        ),
      )}
    </div>
  )
}

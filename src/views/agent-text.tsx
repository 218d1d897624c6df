import { escapeHtml } from '@kitajs/html'

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

/**
 * The inline pieces this subset knows, first match wins: `code`, [text](url), **strong** or
 * __strong__, *em* or _em_ (underscores only at word edges, so snake_case stays text).
 */
const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\[([^\]\n]+)\]\(([^()\s]+)\)|\*\*(?=\S)([\s\S]+?)\*\*|(?<![\w])__(?=\S)([\s\S]+?)__(?![\w])|\*(?=[^\s*])([^*\n]+?)\*|(?<![\w])_(?=[^\s_])([^_\n]+?)_(?![\w])/

/** A link target a click may follow: only absolute http(s) URLs, as the URL parser normalised them. */
export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null
  } catch {
    return null
  }
}

/** Inline Markdown as HTML: every piece of text escaped, markup only from the subset above. */
export function inlineHtml(text: string): string {
  let html = ''
  let rest = text
  while (rest !== '') {
    const match = INLINE.exec(rest)
    if (!match) {
      html += escapeHtml(rest)
      break
    }
    html += escapeHtml(rest.slice(0, match.index))
    const [whole, , code, label, url, strong1, strong2, em1, em2] = match
    if (code !== undefined) html += `<code>${escapeHtml(code)}</code>`
    else if (label !== undefined && url !== undefined) {
      const href = safeHref(url)
      html += href
        ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${inlineHtml(label)}</a>`
        : `${inlineHtml(label)} (${escapeHtml(url)})`
    } else if (strong1 !== undefined || strong2 !== undefined)
      html += `<strong>${inlineHtml(strong1 ?? strong2 ?? '')}</strong>`
    else html += `<em>${inlineHtml(em1 ?? em2 ?? '')}</em>`
    rest = rest.slice(match.index + whole.length)
  }
  return html
}

const LIST_ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/
const QUOTE = /^\s{0,3}>\s?(.*)$/
const isOrdered = (line: string) => /^\s*\d/.test(line)

/** One paragraph-ish block of prose (no blank line inside) as HTML. */
function blockHtml(lines: string[]): string {
  let html = ''
  let i = 0
  while (i < lines.length) {
    const line = lines[i] as string
    if (line.trim() === '') {
      i++
      continue
    }
    const heading = HEADING.exec(line)
    if (heading) {
      html += `<p class="md md-h"><strong>${inlineHtml(heading[1] ?? '')}</strong></p>`
      i++
      continue
    }
    if (LIST_ITEM.test(line)) {
      const ordered = isOrdered(line)
      const items: string[] = []
      while (
        i < lines.length &&
        LIST_ITEM.test(lines[i] as string) &&
        isOrdered(lines[i] as string) === ordered
      ) {
        const [, , first = ''] = LIST_ITEM.exec(lines[i] as string) ?? []
        const item = [first]
        i++
        // Indented lines continue the item above.
        while (
          i < lines.length &&
          /^\s{2,}\S/.test(lines[i] as string) &&
          !LIST_ITEM.test(lines[i] as string)
        )
          item.push((lines[i++] as string).trim())
        items.push(`<li>${item.map(inlineHtml).join('<br>')}</li>`)
      }
      html += ordered ? `<ol class="md">${items.join('')}</ol>` : `<ul class="md">${items.join('')}</ul>`
      continue
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = []
      while (i < lines.length && QUOTE.test(lines[i] as string))
        quoted.push(QUOTE.exec(lines[i++] as string)?.[1] ?? '')
      html += `<blockquote class="md">${blockHtml(quoted)}</blockquote>`
      continue
    }
    const paragraph: string[] = []
    while (
      i < lines.length &&
      (lines[i] as string).trim() !== '' &&
      !HEADING.test(lines[i] as string) &&
      !LIST_ITEM.test(lines[i] as string) &&
      !QUOTE.test(lines[i] as string)
    )
      paragraph.push(lines[i++] as string)
    html += `<p class="md">${paragraph.map(inlineHtml).join('<br>')}</p>`
  }
  return html
}

/** Prose as paragraphs, lists, headings and quotes (blank lines separate blocks). */
export function proseHtml(text: string): string {
  return text
    .split(/\n[ \t]*\n/)
    .map((block) => block.split('\n'))
    .filter((lines) => lines.some((line) => line.trim() !== ''))
    .map(blockHtml)
    .join('')
}

/**
 * An assistant message in a safe Markdown subset: paragraphs, fenced code, inline code, lists,
 * emphasis and links (http(s) targets only; any other target is shown as text). A run's text is
 * hostile, so nothing it writes becomes markup: each piece is escaped on its own.
 */
export function AgentText({ text }: { text: string }): JSX.Element {
  return (
    <div class="agent-text">
      {splitFences(text).map((block) =>
        block.kind === 'code' ? (
          <pre class="code" data-lang={block.language}>
            <code safe>{block.text}</code>
          </pre>
        ) : (
          (proseHtml(block.text) as 'safe')
        ),
      )}
    </div>
  )
}

/**
 * Characters that change what a reader sees without being seen themselves: C0 controls other than
 * tab and newline (NUL, BEL, backspace, carriage return, ESC…), DEL, the C1 controls, and the
 * bidirectional formatting characters that can reorder a line ("Trojan source").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const INVISIBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * What stands for an invisible character: its Unicode control picture (U+2400 block: ␀ ␇ ␈ ␍ ␛…,
 * ␡ for DEL), else its code point. Neither contains markup, so it is safe in text and attributes.
 */
export function pictureOf(char: string): string {
  const code = char.charCodeAt(0)
  if (code < 0x20) return String.fromCharCode(0x2400 + code)
  if (code === 0x7f) return '\u2421'
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`
}

/**
 * The text with every invisible character replaced by its picture. It is also the last step of
 * every HTML the UI sends (whole pages, fragments, streamed rows): a picture contains no markup,
 * so it is safe anywhere in a document, and no raw control character reaches the browser, where
 * NUL would vanish and a backspace or a bidi override would hide or reorder text, whatever view
 * rendered it (titles, messages, paths, attributes, the document title).
 */
export function visibleText(text: string): string {
  return text.search(INVISIBLE) === -1 ? text : text.replace(INVISIBLE, pictureOf)
}

import { escapeHtml } from '@kitajs/html'
import { AnsiUp } from 'ansi_up'

/**
 * Terminal output as HTML: ANSI colours become spans, everything else is escaped. Each call gets
 * its own converter so colour state never leaks from one event into another (events render out of
 * order when older history is paged in).
 */
export function ansiToHtml(text: string): string {
  if (!text.includes('\x1b')) return escapeHtml(text)
  const converter = new AnsiUp()
  converter.use_classes = true
  return converter.ansi_to_html(text)
}

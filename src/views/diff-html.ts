import { html } from 'diff2html'
import { ColorSchemeType } from 'diff2html/lib/types'

export type DiffLayout = 'side-by-side' | 'line-by-line'

/**
 * A unified patch as diff2html markup. diff2html escapes file names and every line it prints;
 * review.js later adds syntax colours in the browser from the escaped text.
 */
export function renderDiff(patch: string, layout: DiffLayout): string {
  const markup = html(patch, {
    outputFormat: layout,
    drawFileList: false,
    matching: 'lines',
    colorScheme: ColorSchemeType.AUTO,
  })
  // A long line makes a file's column scroll sideways: the keyboard must reach it too.
  return markup.replace(/<div class="(d2h-file-side-diff|d2h-file-diff)">/g, '<div class="$1" tabindex="0">')
}

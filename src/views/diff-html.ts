import { html } from 'diff2html'
import { ColorSchemeType } from 'diff2html/lib/types'

export type DiffLayout = 'side-by-side' | 'line-by-line'

/**
 * A unified patch as diff2html markup. diff2html escapes file names and every line it prints;
 * review.js later adds syntax colours in the browser from the escaped text.
 */
export function renderDiff(patch: string, layout: DiffLayout): string {
  return html(patch, {
    outputFormat: layout,
    drawFileList: false,
    matching: 'lines',
    colorScheme: ColorSchemeType.AUTO,
  })
}

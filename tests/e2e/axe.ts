import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'

/** The two sizes every page must work at: a laptop and a phone. */
export const VIEWPORTS = {
  desktop: { width: 1400, height: 900 },
  phone: { width: 390, height: 844 },
}
export const THEMES = ['light', 'dark'] as const

/** Serious and critical axe violations on the page as it is now, one line each (rule, impact, where). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page: page as never }).analyze()
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) =>
      violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(' ')}`),
    )
}

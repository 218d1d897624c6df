import { findAgentBinary } from '../availability'
import { codexBaseUrls, modelApiUrls } from '../model-api'
import type { AgentAdapter } from '../types'
import { buildCodexLaunch } from './launch'
import type { PriceTable } from './pricing'
import { CodexSession } from './session'
import { codexState } from './state'

export { codexCostUsd, DEFAULT_CODEX_PRICES, type ModelPrice, type PriceTable, priceFor } from './pricing'

/** `prices` replaces the default table used to estimate Codex's cost (it reports none). */
export function createCodexAdapter(options: { prices?: PriceTable } = {}): AgentAdapter {
  return {
    runner: 'codex',
    availability: (availabilityOptions) => findAgentBinary('codex', 'codex', availabilityOptions),
    state: codexState,
    buildLaunch: (request) => buildCodexLaunch(request),
    createSession: (request, io) => new CodexSession(request, io, options.prices),
    modelApi: (launch) => modelApiUrls(codexBaseUrls(launch), 'https://api.openai.com'),
  }
}

export const codexAdapter = createCodexAdapter()

import { findAgentBinary } from '../availability'
import { modelApiUrls } from '../model-api'
import type { AgentAdapter } from '../types'
import { buildClaudeLaunch } from './launch'
import { ClaudeSession } from './session'
import { claudeState } from './state'

export const claudeAdapter: AgentAdapter = {
  runner: 'claude-code',
  availability: (options) => findAgentBinary('claude-code', 'claude', options),
  state: claudeState,
  buildLaunch: (request) => buildClaudeLaunch(request),
  createSession: (request, io) => new ClaudeSession(request, io),
  modelApi: (launch) => modelApiUrls([launch.env.ANTHROPIC_BASE_URL], 'https://api.anthropic.com'),
}

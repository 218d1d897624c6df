import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { claudeAgainst } from '../agents/harness'
import { hostScratch, tasksApi } from '../runners/api'
import { type ModelServer, startModelServer } from './model-server'
import { startTestRuntime } from './runtime'

/**
 * A runtime that runs the real Claude Code CLI against the scripted model server (the
 * tests' follow-ups go to it), with a throw-away HOME outside /tmp. `env` adds settings (PATH
 * with a stand-in `gh`, say).
 */
export async function startAgentRuntime(env: Record<string, string> = {}) {
  const scratch = hostScratch('openruntime-agent-')
  const home = join(scratch.path, 'home')
  mkdirSync(home, { recursive: true })
  const server: ModelServer = startModelServer()
  const rt = await startTestRuntime({
    HOME: home,
    ...claudeAgainst(server),
    OPENRUNTIME_STOP_GRACE_MS: '3000',
    ...env,
  })
  return {
    rt,
    api: tasksApi(rt),
    server,
    scratch: scratch.path,
    /** The latest prompt the model was sent from a working directory (Claude's side calls left out). */
    promptsFrom: (cwd: string) =>
      server.requests
        .filter((request) => request.conversation?.cwd === cwd && !request.conversation.sideCall)
        .map((request) => request.conversation?.prompt ?? ''),
    async close() {
      await rt.close()
      await server.stop()
      scratch.cleanup()
    },
  }
}

export type AgentRuntime = Awaited<ReturnType<typeof startAgentRuntime>>

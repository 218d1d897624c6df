import { randomUUID } from 'node:crypto'
import { mergeEnv } from '../env'
import type { Launch, LaunchRequest } from '../types'

/**
 * Claude Code in print mode with stream-json on both sides: prompts, interrupts and approval
 * answers go in on stdin, events come out on stdout, and the process lives until stdin closes.
 */

/** Without these Claude Code calls api.anthropic.com even when ANTHROPIC_BASE_URL points elsewhere. */
const QUIET_ENV = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  // The default (10 retries with backoff up to ~40 s) turns an unreachable API into a hang of minutes.
  CLAUDE_CODE_MAX_RETRIES: '1',
}

const PERMISSION_FLAGS = {
  // `stdio` routes every permission prompt to us as a `can_use_tool` control request.
  supervised: ['--permission-prompt-tool', 'stdio', '--permission-mode', 'default'],
  auto: ['--permission-mode', 'bypassPermissions'],
}

/** What a read-only review run needs on top of a launch: the grades' JSON schema and its prompt. */
export interface ReviewRequest {
  schema: object
  prompt: string
}

/**
 * Claude Code as a reviewer: one print-mode turn with JSON output, the answer held to `schema`
 * through the CLI's structured output (`--json-schema`: it offers the model a StructuredOutput
 * tool and reports its input as `structured_output`), with only reading tools and no session kept.
 */
export function buildClaudeReview(
  request: LaunchRequest,
  review: ReviewRequest,
  isRoot = process.getuid?.() === 0,
): Launch {
  const argv = [
    request.bin,
    '-p',
    '--output-format',
    'json',
    `--json-schema=${JSON.stringify(review.schema)}`,
    '--tools=Read,Grep,Glob',
    '--permission-mode',
    'bypassPermissions',
    '--no-session-persistence',
    ...(request.model ? ['--model', request.model] : []),
    ...(request.extraArgs ?? []),
    '--',
    review.prompt,
  ]
  return {
    argv,
    env: mergeEnv(
      request.baseEnv,
      { ...QUIET_ENV, ...(isRoot ? { IS_SANDBOX: '1' } : {}) },
      request.extraEnv,
    ),
    cwd: request.cwd,
    sessionId: null,
  }
}

export function buildClaudeLaunch(request: LaunchRequest, isRoot = process.getuid?.() === 0): Launch {
  const sessionId = request.resumeSessionId ?? request.sessionId ?? randomUUID()
  const argv = [
    request.bin,
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    ...(request.resumeSessionId ? ['--resume', request.resumeSessionId] : ['--session-id', sessionId]),
    ...(request.model ? ['--model', request.model] : []),
    ...PERMISSION_FLAGS[request.permissionMode],
    // Nobody is there to answer the agent's multiple-choice questions; `=` keeps the variadic flag closed.
    '--disallowedTools=AskUserQuestion',
    ...(request.extraArgs ?? []),
  ]
  // As root, bypassPermissions refuses to start unless the CLI is told it runs in a sandbox.
  const rootEnv: Record<string, string> =
    isRoot && request.permissionMode === 'auto' ? { IS_SANDBOX: '1' } : {}
  return {
    argv,
    env: mergeEnv(request.baseEnv, { ...QUIET_ENV, ...rootEnv }, request.extraEnv),
    cwd: request.cwd,
    sessionId,
  }
}

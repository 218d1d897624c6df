import type { RunnerKind } from '../domain'
import { claudeCodeRunner } from './runners/claude-code'
import { codexRunner } from './runners/codex'
import type { RunnerDefinition } from './runners/runner'
import { shellRunner } from './runners/shell'

/**
 * Every runner openRuntime can run. Adding one: a file in ./runners/ defining it (see
 * runners/runner.ts), its line here, and its name in the runner vocabulary (RUNNERS).
 */
export const RUNNER_REGISTRY: Record<RunnerKind, RunnerDefinition> = {
  shell: shellRunner,
  'claude-code': claudeCodeRunner,
  codex: codexRunner,
}

export const runnerOf = (kind: RunnerKind): RunnerDefinition => RUNNER_REGISTRY[kind]

export type { ExecutorDeps, RunnerDefinition } from './runners/runner'

import type { RunnerKind } from '../domain'

export const RUNNER_LABELS: Record<RunnerKind, string> = {
  shell: 'Shell',
  'claude-code': 'Claude Code',
  codex: 'Codex',
}

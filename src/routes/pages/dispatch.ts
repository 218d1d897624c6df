import { RUNNERS, type RunnerKind } from '../../domain'
import { invalid } from '../../errors'
import type { PolicyInput, PolicyPreset } from '../../policy'
import type { CreateTaskInput } from '../../tasks/task-service'
import { DISPATCH as F } from '../../views/names'
import { type FormFields, field } from './respond'

const TITLE_CHARS = 56

/** A title from the goal or command when the user left it blank: first line, whitespace collapsed. */
export function derivedTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line === '') return 'untitled task'
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line
}

function optionalNumber(form: FormFields, name: string, label: string): number | undefined {
  const text = field(form, name).trim()
  if (text === '') return undefined
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0)
    throw invalid(`${label} must be a non-negative number, not "${text}"`)
  return value
}

const lines = (form: FormFields, name: string): string[] =>
  field(form, name)
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean)

const checked = (form: FormFields, name: string) => field(form, name) === 'true'

/** The advanced fields, as the user set them (the custom preset). */
function customPolicy(form: FormFields): PolicyInput {
  const mode = field(form, F.networkMode)
  return {
    network_mode: mode === 'localhost' || mode === 'enabled' ? mode : 'disabled',
    allow_git_write: checked(form, F.allowGitWrite),
    allow_secrets: checked(form, F.allowSecrets),
    require_approval: checked(form, F.requireApproval),
    max_runtime_minutes: optionalNumber(form, F.maxRuntimeMinutes, 'max runtime') ?? null,
    blocked_commands: lines(form, F.blockedCommands),
    allowed_workspaces: lines(form, F.allowedWorkspaces),
    allowed_file_globs: lines(form, F.allowedFileGlobs),
    allowed_mcp_tools: lines(form, F.allowedMcpTools),
  }
}

/**
 * The dispatch form as a create request. A named preset decides the policy; only "custom" reads
 * the advanced fields (the page's script switches to custom as soon as one is edited).
 */
export function dispatchInput(form: FormFields, presets: PolicyPreset[]): CreateTaskInput {
  const runnerText = field(form, F.runner)
  if (!(RUNNERS as readonly string[]).includes(runnerText)) throw invalid(`unknown runner "${runnerText}"`)
  const runner = runnerText as RunnerKind
  const prompt = field(form, F.prompt).trim()
  const command = field(form, F.command).trim()
  const presetId = field(form, F.preset) || 'default'
  const preset = presets.find((candidate) => candidate.id === presetId)
  if (!preset) throw invalid(`unknown permission preset "${presetId}"`)
  const policy: PolicyInput = presetId === 'custom' ? customPolicy(form) : { ...preset.policy }
  const cost = optionalNumber(form, F.costUsd, 'cost budget')
  if (cost !== undefined) policy.budget_cents = Math.round(cost * 100)
  const workspace = field(form, F.workspace).trim()
  return {
    title: field(form, F.title).trim() || derivedTitle(runner === 'shell' ? command : prompt),
    runner,
    prompt: runner === 'shell' ? '' : prompt,
    command: runner === 'shell' ? command : undefined,
    model: runner === 'shell' ? undefined : field(form, F.model).trim() || undefined,
    workspace: workspace === '' ? undefined : workspace,
    budget_minutes: optionalNumber(form, F.budgetMinutes, 'runtime budget'),
    policy,
  }
}

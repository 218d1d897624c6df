import { Value } from '@sinclair/typebox/value'
import {
  BudgetCents,
  BudgetMinutes,
  CreateTaskBodySchema,
  describeRange,
  MaxRuntimeMinutes,
  type RangedNumber,
  RUNNERS,
  type RunnerKind,
  VariantCount,
} from '../../domain'
import { invalid } from '../../errors'
import type { PolicyInput, PolicyPreset } from '../../policy'
import type { CreateTaskInput } from '../../tasks/task-service'
import { DISPATCH as F } from '../../views/names'
import { validationMessage } from '../validation-message'
import { type FormFields, field } from './respond'

const TITLE_CHARS = 56

/** A title from the goal or command when the user left it blank: first line, whitespace collapsed. */
export function derivedTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line === '') return 'untitled task'
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line
}

/** Refuses (400) a value outside its model's range, naming the field as the form labels it. */
function assertInRange(range: RangedNumber, value: number, label: string): void {
  if (!Value.Check(range, value)) throw invalid(`${label} must be ${describeRange(range)}, not ${value}`)
}

/** A number field of the form, held to the same range as the API's (refused, never clamped). */
function optionalNumber(
  form: FormFields,
  name: string,
  range: RangedNumber,
  label: string,
): number | undefined {
  const text = field(form, name).trim()
  if (text === '') return undefined
  const value = Number(text)
  if (!Number.isFinite(value)) throw invalid(`${label} must be ${describeRange(range)}, not "${text}"`)
  assertInRange(range, value, label)
  return value
}

/** The cost budget is entered in dollars and kept in cents: a fraction of a cent is refused. */
function costCents(form: FormFields): number | undefined {
  const text = field(form, F.costUsd).trim()
  if (text === '') return undefined
  if (!/^\d+(\.\d{1,2})?$/.test(text))
    throw invalid(`cost budget must be an amount in dollars with at most two decimals, not "${text}"`)
  const cents = Math.round(Number(text) * 100)
  assertInRange(BudgetCents, cents, 'cost budget in cents')
  return cents
}

/** The request the form makes, held to the API's schema too (lengths, list sizes): both edges accept the same. */
function asRequest(input: CreateTaskInput): CreateTaskInput {
  const error = Value.Errors(CreateTaskBodySchema, input).First()
  if (error) throw invalid(validationMessage('form', error))
  return input
}

const lines = (form: FormFields, name: string): string[] =>
  field(form, name)
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean)

const checked = (form: FormFields, name: string) => field(form, name) === 'true'

// Browsers submit a textarea's line breaks as CRLF; the shell and the agent get them as typed.
const multiline = (form: FormFields, name: string) => field(form, name).replaceAll('\r\n', '\n').trim()

/** The advanced fields, as the user set them (the custom preset). */
function customPolicy(form: FormFields): PolicyInput {
  const mode = field(form, F.networkMode)
  return {
    network_mode: mode === 'localhost' || mode === 'enabled' ? mode : 'disabled',
    allow_git_write: checked(form, F.allowGitWrite),
    allow_secrets: checked(form, F.allowSecrets),
    require_approval: checked(form, F.requireApproval),
    max_runtime_minutes: optionalNumber(form, F.maxRuntimeMinutes, MaxRuntimeMinutes, 'max runtime') ?? null,
    blocked_commands: lines(form, F.blockedCommands),
    allowed_workspaces: lines(form, F.allowedWorkspaces),
    allowed_file_globs: lines(form, F.allowedFileGlobs),
    allowed_mcp_tools: lines(form, F.allowedMcpTools),
  }
}

/**
 * Several attempts: a list of runners (`claude-code, codex:gpt-5.5`, a model after a colon) makes
 * one variant each; else a count above one makes that many of the chosen runner.
 */
function variantsOf(form: FormFields): CreateTaskInput['variants'] {
  const listed = lines(form, F.variantRunners)
  if (listed.length > 0)
    return listed.map((entry) => {
      const [name = '', ...model] = entry.split(':')
      const runner = name.trim()
      if (!(RUNNERS as readonly string[]).includes(runner))
        throw invalid(`runners: unknown runner "${runner}" (one of ${RUNNERS.join(', ')})`)
      const chosen = model.join(':').trim()
      return { runner: runner as RunnerKind, model: chosen === '' ? undefined : chosen }
    })
  const attempts = optionalNumber(form, F.attempts, VariantCount, 'attempts')
  return attempts !== undefined && attempts > 1 ? attempts : undefined
}

/**
 * The dispatch form as a create request. A named preset decides the policy; only "custom" reads
 * the advanced fields (the page's script switches to custom as soon as one is edited).
 */
export function dispatchInput(form: FormFields, presets: PolicyPreset[]): CreateTaskInput {
  const runnerText = field(form, F.runner)
  if (!(RUNNERS as readonly string[]).includes(runnerText)) throw invalid(`unknown runner "${runnerText}"`)
  const runner = runnerText as RunnerKind
  const prompt = multiline(form, F.prompt)
  const command = multiline(form, F.command)
  const presetId = field(form, F.preset) || 'default'
  const preset = presets.find((candidate) => candidate.id === presetId)
  if (!preset) throw invalid(`unknown permission preset "${presetId}"`)
  const policy: PolicyInput = presetId === 'custom' ? customPolicy(form) : { ...preset.policy }
  const cost = costCents(form)
  if (cost !== undefined) policy.budget_cents = cost
  const workspace = field(form, F.workspace).trim()
  return asRequest({
    title: field(form, F.title).trim() || derivedTitle(runner === 'shell' ? command : prompt),
    runner,
    prompt: runner === 'shell' ? '' : prompt,
    command: runner === 'shell' ? command : undefined,
    model: runner === 'shell' ? undefined : field(form, F.model).trim() || undefined,
    workspace: workspace === '' ? undefined : workspace,
    budget_minutes: optionalNumber(form, F.budgetMinutes, BudgetMinutes, 'runtime budget'),
    policy,
    variants: variantsOf(form),
  })
}

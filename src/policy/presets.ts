import { DEFAULT_BLOCKED_COMMANDS, defaultPolicy, type EffectivePolicy, type PolicyInput } from '../domain'

export type { EffectivePolicy, PolicyInput }

export const PRESET_IDS = ['default', 'auto-review', 'full', 'custom'] as const
export type PresetId = (typeof PRESET_IDS)[number]

export interface PolicyPreset {
  id: PresetId
  label: string
  description: string
  policy: EffectivePolicy
}

/** The original UI called the auto-review preset `review`; stored forms and links may still say so. */
const PRESET_ALIASES: Record<string, PresetId> = { review: 'auto-review' }

function buildPresets(): PolicyPreset[] {
  return [
    {
      id: 'default',
      label: 'Default permissions',
      description: 'No network, no git writes, no secrets; the default blocked commands apply.',
      policy: defaultPolicy(),
    },
    {
      id: 'auto-review',
      label: 'Auto-review',
      description: 'Like the default, but the task waits for your approval before it starts.',
      policy: { ...defaultPolicy(), require_approval: true },
    },
    {
      id: 'full',
      label: 'Full access',
      description:
        'Network, git writes and secrets allowed, nothing blocked, no sandbox; runs in place outside git.',
      policy: {
        ...defaultPolicy(),
        allow_network: true,
        network_mode: 'enabled',
        allow_git_write: true,
        allow_secrets: true,
        allow_in_place: true,
        blocked_commands: [],
      },
    },
    {
      id: 'custom',
      label: 'Custom policy',
      description: 'Start from the defaults and edit every field.',
      policy: defaultPolicy(),
    },
  ]
}

export function listPresets(): PolicyPreset[] {
  return buildPresets()
}

/** Accepts the original's `review` id too. */
export function getPreset(id: string): PolicyPreset | undefined {
  const wanted = PRESET_ALIASES[id] ?? id
  return buildPresets().find((preset) => preset.id === wanted)
}

/** The preset a policy equals, or `custom` when it equals none (`custom` itself is never matched). */
export function detectPreset(input: PolicyInput | undefined): PresetId {
  const policy = normalizePolicy(input)
  const match = buildPresets().find((preset) => preset.id !== 'custom' && samePolicy(preset.policy, policy))
  return match?.id ?? 'custom'
}

/**
 * Fills every absent field with its default; the values given are kept as they are (the request
 * schema, src/models/policy.ts, has checked them: nothing here clamps or rounds). An absent
 * `blocked_commands` means the default list while an explicit `[]` means none, as in the original;
 * lists lose blank and repeated entries. `allow_network` is the legacy switch for `network_mode:
 * 'enabled'`; both are made to agree so nothing downstream has to reconcile them.
 */
export function normalizePolicy(input: PolicyInput | null | undefined): EffectivePolicy {
  const given = input ?? {}
  const base = defaultPolicy()
  const networkMode = given.allow_network === true ? 'enabled' : (given.network_mode ?? base.network_mode)
  return {
    allow_network: networkMode === 'enabled',
    allow_git_write: given.allow_git_write ?? base.allow_git_write,
    allow_secrets: given.allow_secrets ?? base.allow_secrets,
    require_approval: given.require_approval ?? base.require_approval,
    blocked_commands: cleanList(given.blocked_commands ?? DEFAULT_BLOCKED_COMMANDS),
    allowed_workspaces: cleanList(given.allowed_workspaces ?? base.allowed_workspaces),
    allowed_file_globs: cleanList(given.allowed_file_globs ?? base.allowed_file_globs),
    allowed_mcp_tools: cleanList(given.allowed_mcp_tools ?? base.allowed_mcp_tools),
    network_mode: networkMode,
    budget_cents: numberOrNull(given.budget_cents),
    max_runtime_minutes: numberOrNull(given.max_runtime_minutes),
    require_sandbox: given.require_sandbox ?? base.require_sandbox,
    approval_timeout_seconds: given.approval_timeout_seconds ?? base.approval_timeout_seconds,
    allow_in_place: given.allow_in_place ?? base.allow_in_place,
    fix_rounds: given.fix_rounds ?? base.fix_rounds,
    require_checks: given.require_checks ?? base.require_checks,
    max_processes: given.max_processes ?? base.max_processes,
    max_memory_mb: given.max_memory_mb ?? base.max_memory_mb,
    max_output_mb: given.max_output_mb ?? base.max_output_mb,
  }
}

function cleanList(values: readonly string[]): string[] {
  return [...new Set(values.map((value) => value.trim()).filter((value) => value !== ''))]
}

/** No cap: absent, null, or NaN. */
function numberOrNull(value: number | null | undefined): number | null {
  return value !== undefined && value !== null && Number.isFinite(value) ? value : null
}

function samePolicy(a: EffectivePolicy, b: EffectivePolicy): boolean {
  return (
    a.allow_network === b.allow_network &&
    a.network_mode === b.network_mode &&
    a.allow_git_write === b.allow_git_write &&
    a.allow_secrets === b.allow_secrets &&
    a.require_approval === b.require_approval &&
    a.require_sandbox === b.require_sandbox &&
    a.approval_timeout_seconds === b.approval_timeout_seconds &&
    a.allow_in_place === b.allow_in_place &&
    a.budget_cents === b.budget_cents &&
    a.max_runtime_minutes === b.max_runtime_minutes &&
    a.max_processes === b.max_processes &&
    a.max_memory_mb === b.max_memory_mb &&
    a.max_output_mb === b.max_output_mb &&
    sameSet(a.blocked_commands, b.blocked_commands, true) &&
    sameSet(a.allowed_workspaces, b.allowed_workspaces, false) &&
    sameSet(a.allowed_file_globs, b.allowed_file_globs, false) &&
    sameSet(a.allowed_mcp_tools, b.allowed_mcp_tools, false)
  )
}

function sameSet(a: string[], b: string[], ignoreCase: boolean): boolean {
  const norm = (values: string[]) =>
    [...new Set(values.map((value) => (ignoreCase ? value.toLowerCase() : value)))].sort()
  const left = norm(a)
  const right = norm(b)
  return left.length === right.length && left.every((value, index) => value === right[index])
}

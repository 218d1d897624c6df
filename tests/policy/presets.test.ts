import { describe, expect, test } from 'bun:test'
import { DEFAULT_BLOCKED_COMMANDS } from '../../src/domain'
import { detectPreset, getPreset, listPresets, normalizePolicy } from '../../src/policy'

describe('presets', () => {
  test('lists default, auto-review, full and custom', () => {
    expect(listPresets().map((preset) => preset.id)).toEqual(['default', 'auto-review', 'full', 'custom'])
  })

  test('accepts the original id `review` for auto-review', () => {
    expect(getPreset('review')?.id).toBe('auto-review')
    expect(getPreset('nope')).toBeUndefined()
  })

  test('each preset policy is detected as itself, custom starts from the defaults', () => {
    for (const preset of listPresets()) {
      expect(detectPreset(preset.policy)).toBe(preset.id === 'custom' ? 'default' : preset.id)
    }
  })

  test('the blocked list is compared case- and order-insensitively', () => {
    const shuffled = [...DEFAULT_BLOCKED_COMMANDS].reverse().map((entry) => entry.toUpperCase())
    expect(detectPreset({ blocked_commands: shuffled })).toBe('default')
    expect(detectPreset({ blocked_commands: ['curl'] })).toBe('custom')
  })

  test('anything outside the presets is custom', () => {
    expect(detectPreset({ network_mode: 'localhost' })).toBe('custom')
    expect(detectPreset({ allowed_workspaces: ['/src'] })).toBe('custom')
    expect(detectPreset({ budget_cents: 100 })).toBe('custom')
    expect(detectPreset({ max_runtime_minutes: 30 })).toBe('custom')
    expect(detectPreset({ require_sandbox: true })).toBe('custom')
    expect(detectPreset({ max_processes: 64 })).toBe('custom')
    expect(detectPreset({ max_memory_mb: 512 })).toBe('custom')
    expect(detectPreset({ max_output_mb: 1 })).toBe('custom')
    expect(detectPreset({ ...getPreset('full')?.policy, max_runtime_minutes: 5 })).toBe('custom')
  })

  test('an absent policy is the default preset', () => {
    expect(detectPreset(undefined)).toBe('default')
  })
})

describe('normalizePolicy', () => {
  test('fills defaults', () => {
    expect(normalizePolicy(undefined)).toEqual({
      allow_network: false,
      allow_git_write: false,
      allow_secrets: false,
      require_approval: false,
      blocked_commands: [...DEFAULT_BLOCKED_COMMANDS],
      allowed_workspaces: [],
      allowed_file_globs: [],
      allowed_mcp_tools: [],
      network_mode: 'disabled',
      budget_cents: null,
      max_runtime_minutes: null,
      require_sandbox: false,
      approval_timeout_seconds: 600,
      allow_in_place: false,
      fix_rounds: 0,
      require_checks: false,
      max_processes: 1024,
      max_memory_mb: 4096,
      max_output_mb: 64,
    })
  })

  test('an absent blocked list means the defaults, an explicit empty one means none', () => {
    expect(normalizePolicy({}).blocked_commands).toEqual([...DEFAULT_BLOCKED_COMMANDS])
    expect(normalizePolicy({ blocked_commands: [] }).blocked_commands).toEqual([])
    expect(normalizePolicy({ blocked_commands: [' curl ', '', 'curl'] }).blocked_commands).toEqual(['curl'])
  })

  test('allow_network forces the enabled mode, and the two always agree', () => {
    expect(normalizePolicy({ allow_network: true, network_mode: 'localhost' }).network_mode).toBe('enabled')
    expect(normalizePolicy({ network_mode: 'enabled' }).allow_network).toBe(true)
    expect(normalizePolicy({ network_mode: 'localhost' }).allow_network).toBe(false)
  })

  test('keeps the numbers it is given as they are: ranges are refused before, never clamped or rounded here', () => {
    expect(normalizePolicy({ max_runtime_minutes: 0.05 }).max_runtime_minutes).toBe(0.05)
    expect(normalizePolicy({ max_runtime_minutes: 100_000 }).max_runtime_minutes).toBe(100_000)
    expect(normalizePolicy({ budget_cents: 1234 }).budget_cents).toBe(1234)
    expect(normalizePolicy({ budget_cents: Number.NaN }).budget_cents).toBeNull()
    expect(normalizePolicy({ approval_timeout_seconds: 45 }).approval_timeout_seconds).toBe(45)
  })

  test('keeps the extra fields', () => {
    const policy = normalizePolicy({ require_sandbox: true, approval_timeout_seconds: 30 })
    expect(policy.require_sandbox).toBe(true)
    expect(policy.approval_timeout_seconds).toBe(30)
  })

  test('keeps the run limits as given (the request schema refuses what is out of range)', () => {
    const policy = normalizePolicy({ max_processes: 64, max_memory_mb: 100, max_output_mb: 2 })
    expect([policy.max_processes, policy.max_memory_mb, policy.max_output_mb]).toEqual([64, 100, 2])
  })
})

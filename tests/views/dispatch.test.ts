import { describe, expect, test } from 'bun:test'
import { DEFAULT_BLOCKED_COMMANDS } from '../../src/domain'
import { listPresets } from '../../src/policy'
import { derivedTitle, dispatchInput } from '../../src/routes/pages/dispatch'
import { parseFilters } from '../../src/routes/pages/roster'

const presets = listPresets()

describe('dispatchInput', () => {
  test('a shell task: the command, a title derived when blank, budgets in minutes and dollars', () => {
    const input = dispatchInput(
      {
        runner: 'shell',
        title: ' ',
        command: ' npm   test\n',
        prompt: 'ignored',
        model: 'ignored',
        budget_minutes: '5',
        cost_usd: '1.25',
        preset: 'default',
        workspace: '/repo',
      },
      presets,
    )
    expect(input).toMatchObject({
      title: 'npm test',
      runner: 'shell',
      command: 'npm   test',
      prompt: '',
      model: undefined,
      workspace: '/repo',
      budget_minutes: 5,
    })
    expect(input.policy?.budget_cents).toBe(125)
    expect(input.policy?.blocked_commands).toEqual(DEFAULT_BLOCKED_COMMANDS)
  })

  test('an agent task takes the goal and model; a named preset decides the policy', () => {
    const input = dispatchInput(
      {
        runner: 'claude-code',
        prompt: 'Fix the bug',
        model: 'sonnet',
        preset: 'auto-review',
        allow_secrets: 'true',
      },
      presets,
    )
    expect(input).toMatchObject({
      prompt: 'Fix the bug',
      model: 'sonnet',
      command: undefined,
      title: 'Fix the bug',
    })
    expect(input.policy).toMatchObject({ require_approval: true, allow_secrets: false })
  })

  test('the custom preset reads every advanced field', () => {
    const input = dispatchInput(
      {
        runner: 'shell',
        command: 'make',
        preset: 'custom',
        network_mode: 'localhost',
        allow_git_write: 'true',
        require_approval: 'true',
        max_runtime_minutes: '30',
        blocked_commands: 'rm -rf\n\nsudo, curl',
        allowed_file_globs: 'src/**',
      },
      presets,
    )
    expect(input.policy).toMatchObject({
      network_mode: 'localhost',
      allow_git_write: true,
      allow_secrets: false,
      require_approval: true,
      max_runtime_minutes: 30,
      blocked_commands: ['rm -rf', 'sudo', 'curl'],
      allowed_file_globs: ['src/**'],
      allowed_workspaces: [],
    })
  })

  test('unknown runners and presets and bad numbers are refused with a readable message', () => {
    expect(() => dispatchInput({ runner: 'bash', command: 'x' }, presets)).toThrow('unknown runner "bash"')
    expect(() => dispatchInput({ runner: 'shell', command: 'x', preset: 'root' }, presets)).toThrow(
      'unknown permission preset',
    )
    expect(() => dispatchInput({ runner: 'shell', command: 'x', budget_minutes: 'soon' }, presets)).toThrow(
      'runtime budget',
    )
    const custom = { runner: 'shell', command: 'x', preset: 'custom' }
    expect(() => dispatchInput({ ...custom, max_runtime_minutes: '0.05' }, presets)).toThrow(
      'max runtime must be a whole number from 1 to 1440, not 0.05',
    )
    expect(() => dispatchInput({ ...custom, budget_minutes: '0' }, presets)).toThrow(
      'runtime budget must be a number from 0.05 to 240, not 0',
    )
    expect(() => dispatchInput({ ...custom, cost_usd: '0.125' }, presets)).toThrow('at most two decimals')
  })

  test("the form's request is held to the API's schema: lengths and list sizes as the JSON body's", () => {
    const shell = { runner: 'shell', command: 'x' }
    expect(() => dispatchInput({ ...shell, title: 't'.repeat(501) }, presets)).toThrow(
      'invalid form: title: Expected string length less or equal to 500',
    )
    const tooMany = Array.from({ length: 201 }, (_, index) => `command-${index}`).join('\n')
    expect(() => dispatchInput({ ...shell, preset: 'custom', blocked_commands: tooMany }, presets)).toThrow(
      'invalid form: policy.blocked_commands: Expected array length to be less or equal to 200',
    )
    expect(dispatchInput({ ...shell, title: 't'.repeat(500) }, presets).title).toHaveLength(500)
  })

  test("a textarea's line breaks reach the runner as typed, not as the CRLF browsers submit", () => {
    const input = dispatchInput({ runner: 'shell', command: 'echo a\r\necho b\r\n' }, presets)
    expect(input.command).toBe('echo a\necho b')
    expect(dispatchInput({ runner: 'codex', prompt: 'one\r\ntwo' }, presets).prompt).toBe('one\ntwo')
  })

  test('derived titles are one line and bounded', () => {
    expect(derivedTitle('')).toBe('untitled task')
    expect(derivedTitle('a'.repeat(80))).toHaveLength(56)
  })
})

describe('parseFilters', () => {
  test('keeps known values and drops the rest', () => {
    expect(parseFilters({ status: 'running', runner: 'codex', workspace: ' /w ' })).toEqual({
      status: 'running',
      runner: 'codex',
      workspace: '/w',
    })
    expect(parseFilters({ status: 'nope', runner: '', workspace: '' })).toEqual({
      status: undefined,
      runner: undefined,
      workspace: undefined,
    })
  })
})

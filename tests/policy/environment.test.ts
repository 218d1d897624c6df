import { describe, expect, test } from 'bun:test'
import { isSecretName, scrubEnvironment, secretValuesOf } from '../../src/policy'

const SERVER_ENV = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/me',
  USER: 'me',
  LOGNAME: 'me',
  SHELL: '/bin/bash',
  TERM: 'xterm',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'C',
  LC_CTYPE: 'UTF-8',
  TZ: 'UTC',
  TMPDIR: '/tmp',
  ANTHROPIC_API_KEY: 'sk-ant-secret-value-1234',
  ANTHROPIC_BASE_URL: 'http://localhost:9000',
  OPENAI_API_KEY: 'sk-openai-secret-value',
  GITHUB_TOKEN: 'ghp_token_value_12345',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value-123',
  DATABASE_URL: 'postgres://x',
  NODE_ENV: 'test',
  UNSET: undefined,
}

describe('scrubEnvironment', () => {
  test('keeps only the base variables by default', () => {
    expect(Object.keys(scrubEnvironment(SERVER_ENV)).sort()).toEqual(
      [
        'HOME',
        'LANG',
        'LC_ALL',
        'LC_CTYPE',
        'LOGNAME',
        'PATH',
        'SHELL',
        'TERM',
        'TMPDIR',
        'TZ',
        'USER',
      ].sort(),
    )
  })

  test('adds allowed names and prefixes, then what is set', () => {
    const env = scrubEnvironment(SERVER_ENV, {
      allow: ['ANTHROPIC_', 'NODE_ENV', 'MISSING'],
      set: { OPENRUNTIME_NETWORK_MODE: 'disabled', PATH: '/sandbox/bin' },
    })
    expect(env.ANTHROPIC_API_KEY).toBe('sk-ant-secret-value-1234')
    expect(env.ANTHROPIC_BASE_URL).toBe('http://localhost:9000')
    expect(env.NODE_ENV).toBe('test')
    expect(env.OPENRUNTIME_NETWORK_MODE).toBe('disabled')
    expect(env.PATH).toBe('/sandbox/bin')
    expect('OPENAI_API_KEY' in env).toBe(false)
    expect('GITHUB_TOKEN' in env).toBe(false)
    expect('MISSING' in env).toBe(false)
    expect('UNSET' in env).toBe(false)
  })

  test('a prefix may be written with a star; an exact name is not a prefix', () => {
    expect(Object.keys(scrubEnvironment(SERVER_ENV, { allow: ['OPENAI_*'] }))).toContain('OPENAI_API_KEY')
    expect(Object.keys(scrubEnvironment(SERVER_ENV, { allow: ['GITHUB'] }))).not.toContain('GITHUB_TOKEN')
  })

  test('does not modify its input', () => {
    const copy = { ...SERVER_ENV }
    scrubEnvironment(SERVER_ENV, { set: { HOME: '/x' } })
    expect(SERVER_ENV).toEqual(copy)
  })
})

describe('secret names and values', () => {
  test.each([
    'ANTHROPIC_API_KEY',
    'OPENAI_API_KEY',
    'GITHUB_TOKEN',
    'NPM_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'DB_PASSWORD',
    'PGPASSWORD',
    'STRIPE_SECRET',
    'SLACK_BOT_TOKEN',
    'MY_PRIVATE_KEY',
    'gh_pat',
  ])('%s looks secret', (name) => {
    expect(isSecretName(name)).toBe(true)
  })

  test.each([
    'PATH',
    'HOME',
    'PWD',
    'SSH_AUTH_SOCK',
    'KEYBOARD_LAYOUT',
    'NODE_ENV',
    'TOKENIZERS_PARALLELISM',
  ])('%s does not', (name) => {
    expect(isSecretName(name)).toBe(false)
  })

  test('secretValuesOf returns secret-named and named values, longest first, without short ones', () => {
    const values = secretValuesOf({ ...SERVER_ENV, SHORT_TOKEN: 'abc', CUSTOM: 'custom-secret-value' }, [
      'CUSTOM',
    ])
    expect(values).toEqual([
      'sk-ant-secret-value-1234',
      'sk-openai-secret-value',
      'ghp_token_value_12345',
      'aws-secret-value-123',
      'custom-secret-value',
    ])
  })
})

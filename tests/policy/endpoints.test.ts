import { describe, expect, test } from 'bun:test'
import { claudeAdapter, codexAdapter } from '../../src/agents'
import { ConfigError, loadConfig } from '../../src/config'
import { endpointKey, isLoopbackEndpoint, parseEndpoint } from '../../src/policy/endpoints'

describe('endpoints', () => {
  test('URLs, host:port and bare hosts; the default ports of their schemes; nothing for what names no host', () => {
    expect(parseEndpoint('https://api.anthropic.com')).toEqual({ host: 'api.anthropic.com', port: 443 })
    expect(parseEndpoint('http://127.0.0.1:8787/v1')).toEqual({ host: '127.0.0.1', port: 8787 })
    expect(parseEndpoint('http://LOCALHOST.')).toEqual({ host: 'localhost', port: 80 })
    expect(parseEndpoint('proxy.corp:8443')).toEqual({ host: 'proxy.corp', port: 8443 })
    expect(parseEndpoint('chatgpt.com')).toEqual({ host: 'chatgpt.com', port: 443 })
    expect(parseEndpoint('http://[::1]:9000')).toEqual({ host: '::1', port: 9000 })
    for (const bad of ['', '  ', 'ftp://x', 'http://', 'a b', 'host:0', 'host:70000'])
      expect(parseEndpoint(bad)).toBeNull()
    expect(endpointKey({ host: '::1', port: 9000 })).toBe('[::1]:9000')
    expect(isLoopbackEndpoint({ host: '127.0.0.1', port: 1 })).toBe(true)
    expect(isLoopbackEndpoint({ host: 'localhost', port: 1 })).toBe(true)
    expect(isLoopbackEndpoint({ host: 'api.openai.com', port: 443 })).toBe(false)
  })
})

describe('model API URLs', () => {
  const claude = (env: Record<string, string>) => claudeAdapter.modelApi({ argv: ['claude'], env })
  const codex = (argv: string[], env: Record<string, string> = {}) =>
    codexAdapter.modelApi({ argv: ['codex', 'app-server', ...argv], env })

  test('Claude Code: ANTHROPIC_BASE_URL, else the Anthropic API', () => {
    expect(claude({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000' })).toEqual(['http://127.0.0.1:4000'])
    expect(claude({})).toEqual(['https://api.anthropic.com'])
    expect(claude({ ANTHROPIC_BASE_URL: ' ' })).toEqual(['https://api.anthropic.com'])
  })

  test('Codex: every base URL its -c overrides and OPENAI_BASE_URL name, else the OpenAI API', () => {
    expect(codex([])).toEqual(['https://api.openai.com'])
    expect(codex(['-c', 'analytics.enabled=false'], { OPENAI_BASE_URL: 'https://gw.corp/v1' })).toEqual([
      'https://gw.corp/v1',
    ])
    expect(
      codex([
        '-c',
        'model_providers.a={name="a",base_url="http://127.0.0.1:9/v1",wire_api="responses"}',
        '--config',
        'model_providers.b.base_url="https://b.example/v1"',
        '--config=openai_base_url=https://c.example/v1',
        '-cmodel_providers.d.base_url=https://d.example',
        '-c',
        'model_providers={e={base_url="https://e.example"}}',
      ]),
    ).toEqual([
      'http://127.0.0.1:9/v1',
      'https://b.example/v1',
      'https://c.example/v1',
      'https://d.example',
      'https://e.example',
    ])
    // Not a base URL, whatever it looks like.
    expect(codex(['-c', 'model_providers.a.name="http://x"', 'base_url=http://y'])).toEqual([
      'https://api.openai.com',
    ])
  })
})

describe('OPENRUNTIME_AGENT_HOSTS and OPENRUNTIME_AUTH', () => {
  test('extra hosts are parsed once at start-up; a bad entry is named', () => {
    expect(
      loadConfig({ OPENRUNTIME_AGENT_HOSTS: 'chatgpt.com, http://localhost:9000 ,auth.openai.com:443' })
        .agentHosts,
    ).toEqual([
      { host: 'chatgpt.com', port: 443 },
      { host: 'localhost', port: 9000 },
      { host: 'auth.openai.com', port: 443 },
    ])
    expect(loadConfig({}).agentHosts).toEqual([])
    expect(() => loadConfig({ OPENRUNTIME_AGENT_HOSTS: 'ok.example,not a host' })).toThrow(ConfigError)
    expect(() => loadConfig({ OPENRUNTIME_AGENT_HOSTS: 'ok.example,not a host' })).toThrow('"not a host"')
  })

  test('auth is on unless explicitly off; off and a token together contradict', () => {
    expect(loadConfig({}).auth).toBe('token')
    expect(loadConfig({ OPENRUNTIME_AUTH: 'none' }).auth).toBe('none')
    expect(() => loadConfig({ OPENRUNTIME_AUTH: 'no' })).toThrow('OPENRUNTIME_AUTH must be')
    expect(() => loadConfig({ OPENRUNTIME_AUTH: 'none', OPENRUNTIME_TOKEN: 'abc' })).toThrow('contradict')
  })
})

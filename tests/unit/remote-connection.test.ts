import { describe, expect, test } from 'bun:test'
import { AppError } from '../../src/errors'
import { brokerConnection } from '../../src/queue/remote-connection'
import { placementQueue, serves } from '../../src/queue/remote-placement'

const refusal = (url: string) => {
  try {
    brokerConnection({ OPENRUNTIME_QUEUE_URL: url })
  } catch (error) {
    return error as AppError
  }
  throw new Error(`${url} was accepted`)
}

describe('OPENRUNTIME_QUEUE_URL', () => {
  test('unset: no broker', () => {
    expect(brokerConnection({})).toBeNull()
    expect(brokerConnection({ OPENRUNTIME_QUEUE_URL: '' })).toBeNull()
  })

  test('address and percent-encoded token', () => {
    expect(brokerConnection({ OPENRUNTIME_QUEUE_URL: 'bunqueue://:s%40cret@127.0.0.1:6789' })).toEqual({
      host: '127.0.0.1',
      port: 6789,
      token: 's@cret',
    })
    expect(brokerConnection({ OPENRUNTIME_QUEUE_URL: 'bunqueue://:t@[::1]:7000' })?.host).toBe('::1')
  })

  test.each([
    ['http://:secret-token@127.0.0.1:6789', 'scheme'],
    ['bunqueue://127.0.0.1:6789', 'no token'],
    ['bunqueue://:secret-token@127.0.0.1', 'no port'],
    ['bunqueue://:secret-token@127.0.0.1:6789/x', 'path'],
    ['not a url secret-token', 'not a URL'],
  ])('%s is refused (%s), naming the variable and never the token', (url, why) => {
    const error = refusal(url)
    expect(error).toBeInstanceOf(AppError)
    expect(error.code).toBe('queue_url_invalid')
    expect(error.message).toContain('OPENRUNTIME_QUEUE_URL')
    expect(error.message).toContain(why)
    expect(error.message).not.toContain('secret-token')
  })
})

describe('placements', () => {
  test('one queue per runner and label set, whatever the order or repetition of labels', () => {
    const a = placementQueue({ runner: 'shell', labels: ['os=linux', 'zone/eu'] })
    expect(placementQueue({ runner: 'shell', labels: ['zone/eu', 'os=linux', 'zone/eu'] })).toBe(a)
    expect(placementQueue({ runner: 'codex', labels: ['os=linux', 'zone/eu'] })).not.toBe(a)
    expect(placementQueue({ runner: 'shell', labels: [] })).toBe('openruntime-remote-runs:shell')
    // bunqueue's queue names allow only letters, digits and _ - . :
    expect(a).toMatch(/^[A-Za-z0-9_\-.:]+$/)
  })

  test('a host serves a placement when it has the runner and every label asked for', () => {
    const host = { runners: ['shell', 'codex'] as const, labels: ['gpu', 'os=linux'] }
    expect(serves(host, { runner: 'shell', labels: [] })).toBe(true)
    expect(serves(host, { runner: 'codex', labels: ['gpu', 'os=linux'] })).toBe(true)
    expect(serves(host, { runner: 'shell', labels: ['gpu', 'zone/eu'] })).toBe(false)
    expect(serves(host, { runner: 'claude-code', labels: [] })).toBe(false)
  })
})

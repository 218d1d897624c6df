import { isLocalHost } from './hosts'

/** A host and port a run may connect to (host lower-case, an IPv6 address without brackets). */
export interface Endpoint {
  host: string
  port: number
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 }

export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare.toLowerCase().replace(/\.$/, '')
}

/** `host:port`, an IPv6 address in brackets: how endpoints are compared and shown. */
export function endpointKey({ host, port }: Endpoint): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * The endpoint a URL (`https://api.example.com/v1`), `host:port` or bare host (HTTPS, port 443)
 * names; null when it names none.
 */
export function parseEndpoint(text: string): Endpoint | null {
  const value = text.trim()
  if (value === '' || /\s/.test(value)) return null
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol]
  if (!parsed.hostname || port === undefined || port < 1 || port > 65535) return null
  return { host: normalizeHost(parsed.hostname), port }
}

/** This machine's loopback: reached through a port forwarded into the sandbox, never the proxy's upstream. */
export function isLoopbackEndpoint(endpoint: Endpoint): boolean {
  return isLocalHost(endpoint.host)
}

export function uniqueEndpoints(endpoints: Endpoint[]): Endpoint[] {
  const seen = new Map<string, Endpoint>()
  for (const endpoint of endpoints)
    if (!seen.has(endpointKey(endpoint))) seen.set(endpointKey(endpoint), endpoint)
  return [...seen.values()]
}

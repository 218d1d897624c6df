import { type Endpoint, endpointKey } from '../../policy/endpoints'

/**
 * The proxy a runner's environment already names for HTTPS (a company proxy in HTTPS_PROXY),
 * through which the filtering proxy opens the tunnels it allows, except to hosts NO_PROXY exempts.
 * Only an `http://` proxy is used, and only for CONNECT: a tunnel reaches the one endpoint it was
 * opened for, whereas a plain request relayed to a proxy could be followed by others to any host.
 */
export interface UpstreamProxy {
  url: URL | null
  noProxy: string[]
}

export function upstreamProxy(env: Record<string, string | undefined>): UpstreamProxy {
  return {
    url: proxyUrl(env.https_proxy || env.HTTPS_PROXY),
    noProxy: (env.no_proxy || env.NO_PROXY || '')
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter(Boolean),
  }
}

function proxyUrl(value: string | undefined): URL | null {
  if (!value) return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' && url.hostname ? url : null
  } catch {
    return null
  }
}

/** Whether NO_PROXY exempts the endpoint: `*`, the host or a parent domain, optionally with its port. */
function bypassesProxy(noProxy: string[], endpoint: Endpoint): boolean {
  return noProxy.some((entry) => {
    if (entry === '*') return true
    if (entry === endpointKey(endpoint)) return true
    const domain = entry.replace(/^\*?\./, '')
    return endpoint.host === domain || endpoint.host.endsWith(`.${domain}`)
  })
}

/** The upstream proxy for a tunnel to this endpoint, or null to connect directly. */
export function proxyFor(upstream: UpstreamProxy, endpoint: Endpoint): URL | null {
  return upstream.url && !bypassesProxy(upstream.noProxy, endpoint) ? upstream.url : null
}

/** The CONNECT request that opens a tunnel to `target` through an upstream proxy (with its credentials). */
export function connectRequest(proxy: URL, target: string): string {
  const credentials = proxy.username
    ? `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
    : ''
  const authorization = credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`
    : ''
  return `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${authorization}\r\n`
}

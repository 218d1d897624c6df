import { AppError } from '../errors'

/** Where a bunqueue server listens and the token it accepts (bunqueue's `connection` option). */
export interface BrokerConnection {
  host: string
  port: number
  token: string
}

export const QUEUE_URL_VARIABLE = 'OPENRUNTIME_QUEUE_URL'

const refused = (why: string) =>
  new AppError(
    'invalid',
    'queue_url_invalid',
    `${QUEUE_URL_VARIABLE} ${why}; it must look like bunqueue://:TOKEN@HOST:PORT (the token given to \`bunqueue start --auth-tokens\`)`,
  )

/**
 * The broker of remote runs, from one variable: `OPENRUNTIME_QUEUE_URL=bunqueue://:TOKEN@HOST:PORT`
 * (the token in the password place, percent-encoded if it has reserved characters). One variable
 * rather than three so the address and its token cannot be half-configured. Unset: no broker
 * (runs stay local). A broker without a token is refused: anyone who reaches its port could take
 * jobs. Messages never repeat the token.
 */
export function brokerConnection(
  env: Record<string, string | undefined> = process.env,
): BrokerConnection | null {
  const text = env[QUEUE_URL_VARIABLE]
  if (text === undefined || text === '') return null
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw refused('is not a URL')
  }
  if (url.protocol !== 'bunqueue:')
    throw refused(`has the scheme ${url.protocol.slice(0, 20)} instead of bunqueue:`)
  if (url.hostname === '') throw refused('names no host')
  const port = Number(url.port)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw refused('names no port')
  if (url.pathname !== '' || url.search !== '' || url.hash !== '')
    throw refused('has a path, query or fragment')
  let token: string
  try {
    token = decodeURIComponent(url.password)
  } catch {
    throw refused('has a token that is not valid percent-encoding')
  }
  if (token === '') throw refused('has no token')
  // The URL parser keeps IPv6 brackets, the socket wants the bare address.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, token }
}

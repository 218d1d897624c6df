/**
 * A loopback TCP port nobody listens on right now, for servers that must be told their port
 * (bunqueue and PostgreSQL cannot report one the OS picked). Another process could take it before
 * the server binds it; the starters below retry with a new port when the server fails to bind.
 */
export function freeLoopbackPort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = listener
  listener.stop(true)
  return port
}

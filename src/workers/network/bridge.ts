import net from 'node:net'
import { constants } from 'node:os'
import { splice } from './splice'

/**
 * Runs inside an agent's sandbox, whose network namespace has nothing but a loopback: it listens
 * on 127.0.0.1 (and ::1 where asked) at each configured port, relays every connection to the
 * Unix socket the server listens on for that port (bound into the sandbox), and only once all of
 * them listen starts the agent CLI, so its first request finds them.
 *
 * The CLI gets this process's stdin, stdout and stderr and a process group of its own, to which
 * a signal this process receives is passed on (once: the CLI is not in this process's group). This
 * process exits as the CLI did (a signal as 128 + its number, as bwrap reports it), and with it the
 * sandbox's pid namespace, so nothing the CLI started outlives it. A stop signals bwrap's group,
 * which ends the whole sandbox as before.
 *
 * argv: <listeners as JSON> <program> [arguments…]
 */

interface Listener {
  port: number
  hosts: string[]
  socket: string
}

const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const
const SETUP_FAILED = 125
/** What a shell answers for a command it cannot run. */
const NOT_STARTED = 127

function spawnCommand(command: string[]) {
  return Bun.spawn(command, {
    stdin: 'inherit',
    stdout: 'inherit',
    stderr: 'inherit',
    env: process.env,
    detached: true,
  })
}

async function listen(listener: Listener): Promise<void> {
  for (const [index, host] of listener.hosts.entries()) {
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      splice(client, net.connect({ path: listener.socket, allowHalfOpen: true }))
    })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host, port: listener.port, exclusive: true }, resolve)
      })
    } catch (error) {
      // The first address is required; further ones (::1) only where the namespace has IPv6.
      if (index === 0)
        throw new Error(`cannot listen on ${host}:${listener.port}: ${(error as Error).message}`)
    }
  }
}

async function main(): Promise<never> {
  const [config, ...command] = process.argv.slice(2)
  if (config === undefined || command.length === 0) {
    console.error('openRuntime network bridge: usage: bridge.ts <listeners JSON> <program> [args…]')
    process.exit(SETUP_FAILED)
  }
  try {
    await Promise.all((JSON.parse(config) as Listener[]).map(listen))
  } catch (error) {
    console.error(`openRuntime network bridge: ${(error as Error).message}`)
    process.exit(SETUP_FAILED)
  }
  let child: ReturnType<typeof spawnCommand>
  try {
    child = spawnCommand(command)
  } catch (error) {
    console.error(`openRuntime network bridge: cannot start ${command[0]}: ${(error as Error).message}`)
    process.exit(NOT_STARTED)
  }
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      try {
        process.kill(-child.pid, signal)
      } catch {
        // The CLI's group is already gone.
      }
    })
  }
  const code = await child.exited
  const signal = child.signalCode
  process.exit(signal ? 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0) : code)
}

await main()

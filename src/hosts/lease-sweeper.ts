import type { RunnerHostRegistry } from './registry'

/**
 * Checks the runner hosts' leases several times per lease, so a host that stopped heartbeating is
 * lost (and its attempts failed) soon after its lease ran out, not a whole lease later.
 */
export class LeaseSweeper {
  private readonly timer: ReturnType<typeof setInterval>

  constructor(registry: RunnerHostRegistry) {
    const every = Math.max(25, Math.floor(registry.leaseMs / 5))
    this.timer = setInterval(() => {
      try {
        for (const name of registry.sweep()) console.log(`runner host ${name} lost: its lease ran out`)
      } catch (error) {
        console.error('checking the runner hosts’ leases failed', error)
      }
    }, every)
  }

  close(): void {
    clearInterval(this.timer)
  }
}

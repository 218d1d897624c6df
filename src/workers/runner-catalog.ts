import { type Config, settingsOf } from '../config'
import { RUNNERS, type RunnerKind } from '../domain'
import { detectSandbox } from '../policy'
import { runnerOf } from './registry'

export interface RunnerInfo {
  runner: RunnerKind
  available: boolean
  /** The original's field: how the runner is invoked. */
  command: string
  path: string | null
  version: string | null
  reason: string | null
  /** Whether runs of this runner execute inside the bubblewrap sandbox on this machine. */
  sandboxed: boolean
  sandbox_reason: string | null
}

const CACHE_MS = 30_000

/**
 * Which runners this machine can run, with the CLI's path and version or the reason it cannot.
 * Probing runs `--version`, so results are cached briefly; `refresh` forces a new look.
 */
export class RunnerCatalog {
  private cached: { at: number; runners: Promise<RunnerInfo[]> } | null = null

  constructor(private readonly config: Pick<Config, 'runnerSettings' | 'bwrapPath' | 'serverEnv'>) {}

  list(refresh = false): Promise<RunnerInfo[]> {
    if (!refresh && this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.runners
    const runners = this.probe()
    this.cached = { at: Date.now(), runners }
    runners.catch(() => (this.cached = null))
    return runners
  }

  async get(runner: RunnerKind): Promise<RunnerInfo> {
    const found = (await this.list()).find((info) => info.runner === runner)
    if (!found) throw new Error(`unknown runner ${runner}`)
    return found
  }

  private async probe(): Promise<RunnerInfo[]> {
    const sandbox = detectSandbox({ bwrap: this.config.bwrapPath })
    const sandboxFields = {
      sandboxed: sandbox.available,
      sandbox_reason: sandbox.available ? null : (sandbox.reason ?? null),
    }
    const path = this.config.serverEnv.PATH ?? ''
    // The original lists the agents first, Codex before Claude Code.
    const order: RunnerKind[] = [...RUNNERS].reverse()
    return Promise.all(
      order.map(async (runner) => {
        const definition = runnerOf(runner)
        const found = await definition.probe(settingsOf(this.config, definition.settingsName), path)
        return { runner, command: definition.invocation, ...found, ...sandboxFields }
      }),
    )
  }
}

import { lstat, mkdir, writeFile } from 'node:fs/promises'

/**
 * What an agent CLI keeps between runs, as the sandbox must see it. `writable` is its own state
 * (sessions, logs, credentials it refreshes). `configuration` is what the CLI run by the user
 * outside openRuntime would obey: hooks, MCP servers, notify commands, memory files. A run that
 * could write those would run its code on the host the next time the user starts the agent, so
 * they stay read-only inside every sandbox (created empty first where missing, so a run cannot
 * create them either).
 */
export interface AgentState {
  writable: string[]
  configuration: ConfigEntry[]
}

export interface ConfigEntry {
  path: string
  /** A folder, or a file and the content an empty one gets (valid for the CLI to read). */
  kind: { folder: true } | { file: string }
}

/** Makes the state's folders and the missing configuration entries; returns every read-only path. */
export async function prepareAgentState(state: AgentState): Promise<string[]> {
  await Promise.all(state.writable.map((dir) => mkdir(dir, { recursive: true })))
  await Promise.all(
    state.configuration.map(async ({ path, kind }) => {
      if (await lstat(path).catch(() => null)) return
      if ('folder' in kind) await mkdir(path, { recursive: true })
      else await writeFile(path, kind.file, { flag: 'wx' }).catch(() => undefined)
    }),
  )
  return state.configuration.map((entry) => entry.path)
}

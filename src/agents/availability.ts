import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import type { AgentRunner, Availability, AvailabilityOptions } from './types'

const VERSION_TIMEOUT_MS = 15_000

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(command: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue
    const candidate = join(dir, command)
    if (isExecutableFile(candidate)) return candidate
  }
  return null
}

async function readVersion(bin: string, path: string): Promise<{ version: string } | { error: string }> {
  try {
    // The Codex launcher is a Node script, so the child needs the PATH that finds `node`.
    const child = Bun.spawn([bin, '--version'], {
      env: { ...process.env, PATH: path },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: VERSION_TIMEOUT_MS,
    })
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ])
    const version = /\d+\.\d+\.\d+[\w.+-]*/.exec(stdout)?.[0]
    if (code === 0 && version) return { version }
    const detail = (stderr || stdout).trim().split('\n', 1)[0] || `exit code ${code}`
    return { error: `"${bin} --version" failed: ${detail}` }
  } catch (error) {
    return { error: `"${bin} --version" could not run: ${(error as Error).message}` }
  }
}

/** Finds a CLI (explicit binary first, then PATH) and proves it runs by asking for its version. */
export async function findAgentBinary(
  runner: AgentRunner,
  command: string,
  options: AvailabilityOptions = {},
): Promise<Availability> {
  const path = options.path ?? process.env.PATH ?? ''
  const unavailable = (binPath: string | null, reason: string): Availability => ({
    runner,
    available: false,
    path: binPath,
    version: null,
    reason,
  })
  let bin: string
  if (options.bin) {
    bin = resolve(options.bin)
    if (!isExecutableFile(bin)) return unavailable(bin, `${bin} is not an executable file`)
  } else {
    const found = onPath(command, path)
    if (!found) return unavailable(null, `"${command}" was not found on PATH`)
    bin = found
  }
  const result = await readVersion(bin, path)
  if ('error' in result) return unavailable(bin, result.error)
  return { runner, available: true, path: bin, version: result.version, reason: null }
}

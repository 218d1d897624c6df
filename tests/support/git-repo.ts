import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Runs git synchronously in `cwd` and returns stdout; throws with git's stderr on failure. */
export function gitSync(cwd: string, ...args: string[]): string {
  const result = Bun.spawnSync(['git', '-c', 'user.name=Test', '-c', 'user.email=test@localhost', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
  })
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.toString()}`)
  return result.stdout.toString()
}

/** A real repository with one commit holding `files`. */
export function makeRepo(dir: string, files: Record<string, string> = { 'README.md': 'hello\n' }): string {
  mkdirSync(dir, { recursive: true })
  gitSync(dir, 'init', '-q', '-b', 'main')
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  gitSync(dir, 'add', '-A')
  gitSync(dir, 'commit', '-q', '-m', 'initial')
  return dir
}

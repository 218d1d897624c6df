import { readFileSync } from 'node:fs'
import { createApp } from '../../src/app'
import { composeAdapters } from '../../src/compose'
import { loadConfig } from '../../src/config'
import { ATTEMPT_REFS, type GitRemoteAccess } from '../../src/git/http-backend'
import { listenBodyLimit } from '../../src/routes/body-limit'
import { startRuntime } from '../../src/runtime'

/**
 * The server process with a git endpoint whose access decision is read from the JSON file named
 * by OPENRUNTIME_TEST_GIT_ACCESS, again on every request (so a test revokes a token by rewriting
 * it). It stands in for the runner-host registry until that is wired: tokens, the repositories
 * each host may fetch, and the attempts whose namespaces it may write.
 */
export interface AccessFile {
  hosts: Record<string, { id: string; name: string }>
  repositories: Record<string, Record<string, string>>
  attempts: Record<string, string[]>
}

class FileAccess implements GitRemoteAccess {
  constructor(private readonly path: string) {}

  private read(): AccessFile {
    return JSON.parse(readFileSync(this.path, 'utf8'))
  }

  hostFor(token: string) {
    return this.read().hosts[token] ?? null
  }

  repositoryFor(hostId: string, name: string) {
    return this.read().repositories[hostId]?.[name] ?? null
  }

  // Deliberately a plain prefix test: refusing `..`, symbolic links and the like is the backend's job.
  mayUpdate(hostId: string, repository: string, ref: string) {
    const access = this.read()
    if (!Object.values(access.repositories[hostId] ?? {}).includes(repository)) return false
    return (access.attempts[hostId] ?? []).some((attempt) => ref.startsWith(`${ATTEMPT_REFS}${attempt}/`))
  }
}

const accessPath = process.env.OPENRUNTIME_TEST_GIT_ACCESS
if (!accessPath) throw new Error('OPENRUNTIME_TEST_GIT_ACCESS must name the access file')
const config = loadConfig()
const runtime = await startRuntime(config, composeAdapters(config))
const app = createApp({ ...runtime, gitRemote: new FileAccess(accessPath) })
app.listen({
  hostname: config.host,
  port: config.port,
  reusePort: false,
  maxRequestBodySize: listenBodyLimit(runtime.config.gitMaxPushBytes),
})
const base = `http://${config.host}:${app.server?.port}`
console.log(`openRuntime listening on ${base}`)
console.log(`Open ${base}/login?token=${runtime.config.token} to sign in`)
process.on('SIGTERM', async () => {
  await app.stop(true)
  await runtime.close()
  process.exit(0)
})

import { appendFileSync, chownSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Glob } from 'bun'
import { freeLoopbackPort } from './ports'
import { tempDir } from './temp'

/** A throw-away PostgreSQL cluster on loopback, with a role and a database for bunqueue. */
export interface PostgresCluster {
  /** `postgres://bunqueue:<password>@127.0.0.1:<port>/bunqueue`, as BUNQUEUE_POSTGRES_URL wants it. */
  url: string
  port: number
  /** Runs SQL as the cluster's superuser (in `database`, by default bunqueue's) and returns psql's unaligned output. */
  sql(statement: string, database?: string): string
  stop(): Promise<void>
}

const MISSING =
  "PostgreSQL's initdb was not found (neither /usr/lib/postgresql/<version>/bin/initdb nor on PATH): " +
  "install Debian's `postgresql` package (apt-get install postgresql; `sh scripts/bootstrap.sh test` does it as root)"

/** Debian's binaries of the newest installed major version, else whatever is on PATH. */
function postgresBin(): string {
  const debian = '/usr/lib/postgresql'
  const found = existsSync(debian)
    ? [...new Glob('*/bin/initdb').scanSync({ cwd: debian, onlyFiles: true })]
    : []
  const versions = found
    .map((path) => Number(path.split('/')[0]))
    .filter((version) => Number.isInteger(version))
    .sort((a, b) => b - a)
  if (versions.length > 0) return join(debian, String(versions[0]), 'bin')
  const initdb = Bun.which('initdb')
  if (initdb === null) throw new Error(MISSING)
  return join(initdb, '..')
}

/**
 * PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` account (Debian's
 * package creates it) or else `nobody`, through setpriv; as anyone else it runs as that user.
 */
function unprivilegedUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null
  const accounts = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
  const account =
    accounts.find((fields) => fields[0] === 'postgres') ?? accounts.find((f) => f[0] === 'nobody')
  if (account === undefined)
    throw new Error('no unprivileged account (postgres or nobody) to run PostgreSQL as')
  return { uid: Number(account[2]), gid: Number(account[3]) }
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBin()
  if (!existsSync(join(bin, 'pg_ctl'))) throw new Error(MISSING)
  const user = unprivilegedUser()
  const temp = tempDir('openruntime-pg-')
  if (user !== null) chownSync(temp.path, user.uid, user.gid)
  const data = join(temp.path, 'data')
  const log = join(temp.path, 'server.log')
  const as = user === null ? [] : ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups']
  const env = { PATH: '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: temp.path }
  const run = (command: string[], what: string) => {
    const result = Bun.spawnSync([...as, ...command], { cwd: temp.path, env, timeout: 60_000 })
    if (result.exitCode !== 0) {
      const logText = existsSync(log) ? readFileSync(log, 'utf8') : ''
      throw new Error(`${what} failed (exit ${result.exitCode}):\n${result.stdout}${result.stderr}${logText}`)
    }
    return result.stdout.toString()
  }
  const stop = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      Bun.spawnSync([...as, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { env })
    }
  }
  try {
    run(
      [join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256'],
      'initdb',
    )
    // Settings in the file rather than on pg_ctl's -o, which goes through a shell. A throw-away
    // cluster needs no durability.
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${temp.path}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 100',
        '',
      ].join('\n'),
    )
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = freeLoopbackPort()
      appendFileSync(join(data, 'postgresql.conf'), `port = ${port}\n`)
      try {
        run([join(bin, 'pg_ctl'), '-D', data, '-l', log, '-w', '-t', '60', 'start'], 'pg_ctl start')
        break
      } catch (error) {
        // Someone took the port between the probe and the bind: the next line's port wins.
        if (attempt === 3 || !readFileSync(log, 'utf8').includes('could not bind')) throw error
      }
    }
    const sql = (statement: string, database = 'postgres') =>
      run(
        [
          join(bin, 'psql'),
          '-h',
          temp.path,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          statement,
        ],
        `psql ${statement}`,
      )
    const password = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('hex')
    sql(`CREATE ROLE bunqueue LOGIN PASSWORD '${password}'`)
    sql('CREATE DATABASE bunqueue OWNER bunqueue')
    return {
      url: `postgres://bunqueue:${password}@127.0.0.1:${port}/bunqueue`,
      port,
      sql: (statement, database = 'bunqueue') => sql(statement, database),
      async stop() {
        stop()
        temp.cleanup()
      },
    }
  } catch (error) {
    stop()
    temp.cleanup()
    throw error
  }
}

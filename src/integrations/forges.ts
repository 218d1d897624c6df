import { AppError } from '../errors'

export const FORGE_TOOLS = ['gh', 'glab'] as const
export type ForgeTool = (typeof FORGE_TOOLS)[number]

/** Whether a forge CLI can open a pull (merge) request here: installed, and signed in. */
export interface ForgeInfo {
  name: ForgeTool
  label: string
  available: boolean
  path: string | null
  version: string | null
  signed_in: boolean
  reason: string | null
}

const LABELS: Record<ForgeTool, string> = { gh: 'GitHub CLI', glab: 'GitLab CLI' }

export interface PullRequestInput {
  tool: ForgeTool
  /** The user's repository (the CLI reads its remotes; never a task's worktree). */
  cwd: string
  head: string
  base: string
  title: string
  body: string
  draft: boolean
}

/** What the CLI is run with: the user's own environment (their forge credentials included). */
export interface ForgeEnvironment {
  env: Record<string, string | undefined>
}

interface Ran {
  code: number
  stdout: string
  stderr: string
}

async function run(argv: string[], cwd: string, env: Record<string, string | undefined>): Promise<Ran> {
  const proc = Bun.spawn(argv, { cwd, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, stdout, stderr }
}

/** gh and glab as this machine has them: found on the server's PATH, `--version`, `auth status`. */
export async function probeForges({ env }: ForgeEnvironment): Promise<ForgeInfo[]> {
  return Promise.all(
    FORGE_TOOLS.map(async (name): Promise<ForgeInfo> => {
      const base = { name, label: LABELS[name] }
      const path = Bun.which(name, { PATH: env.PATH ?? '' })
      if (!path)
        return {
          ...base,
          available: false,
          path: null,
          version: null,
          signed_in: false,
          reason: `${name} is not on PATH`,
        }
      const cwd = env.HOME ?? '/'
      const [version, auth] = await Promise.all([
        run([path, '--version'], cwd, env),
        run([path, 'auth', 'status'], cwd, env),
      ])
      const signedIn = auth.code === 0
      return {
        ...base,
        available: signedIn,
        path,
        version: version.stdout.split('\n')[0]?.trim() || null,
        signed_in: signedIn,
        reason: signedIn ? null : `${name} is not signed in (run \`${name} auth login\`)`,
      }
    }),
  )
}

/** The command line that opens the request: `gh pr create` or `glab mr create`. */
export function pullRequestArgv(path: string, input: PullRequestInput): string[] {
  if (input.tool === 'gh') {
    return [
      path,
      'pr',
      'create',
      '--head',
      input.head,
      '--base',
      input.base,
      '--title',
      input.title,
      '--body',
      input.body,
      ...(input.draft ? ['--draft'] : []),
    ]
  }
  return [
    path,
    'mr',
    'create',
    '--source-branch',
    input.head,
    '--target-branch',
    input.base,
    '--title',
    input.title,
    '--description',
    input.body,
    '--yes',
    ...(input.draft ? ['--draft'] : []),
  ]
}

const URL_LINE = /https?:\/\/\S+/g

/** Opens the request and answers its URL (the last one the CLI printed). */
export async function openPullRequest(path: string, input: PullRequestInput, { env }: ForgeEnvironment) {
  const ran = await run(pullRequestArgv(path, input), input.cwd, env)
  const url = [...ran.stdout.matchAll(URL_LINE)].at(-1)?.[0] ?? null
  if (ran.code !== 0 || !url) {
    throw new AppError(
      'conflict',
      'pull_request_failed',
      `${input.tool} could not open the request (exit status ${ran.code}): ${(ran.stderr || ran.stdout).trim().slice(0, 2000)}`,
    )
  }
  return url
}

import { hostOf } from './hosts'
import { parseArgs } from './options'
import type { ShellWord } from './shell-words'
import { basename } from './wrappers'

/** A git invocation with its global options (`-C dir`, `--no-pager`, `-c k=v`) set aside. */
export interface GitInvocation {
  /** The subcommand word; undefined for `git --version` and the like. */
  sub: ShellWord | undefined
  /** The words after the subcommand. */
  args: string[]
  /** `-c alias.x=…` can make any name run any subcommand. */
  definesAlias: boolean
}

const GLOBAL_WITH_VALUE = new Set([
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--config-env',
])

export function parseGit(argv: ShellWord[]): GitInvocation | null {
  const head = argv[0]
  if (head === undefined || basename(head.text) !== 'git') return null
  let definesAlias = false
  let i = 1
  while (i < argv.length) {
    const text = (argv[i] as ShellWord).text
    if (!text.startsWith('-')) break
    if (text === '-c' && /^alias\./i.test(argv[i + 1]?.text ?? '')) definesAlias = true
    i += GLOBAL_WITH_VALUE.has(text) ? 2 : 1
  }
  return { sub: argv[i], args: argv.slice(i + 1).map((w) => w.text), definesAlias }
}

/** Always change history, refs, the remote or discard work. */
const WRITES = new Set([
  'push',
  'commit',
  'merge',
  'rebase',
  'checkout',
  'reset',
  'switch',
  'restore',
  'cherry-pick',
  'revert',
  'am',
  'clean',
  'pull',
  'update-ref',
  'filter-branch',
  'filter-repo',
  'replace',
  'commit-tree',
  'fast-import',
])

/** Subcommands that write unless they are asked only to list or show. */
const READ_FORMS: Record<string, (args: string[]) => boolean> = {
  stash: (args) => ['list', 'show'].includes(args[0] ?? 'push'),
  notes: (args) => args.length === 0 || ['list', 'show', 'get-ref'].includes(args[0] ?? ''),
  remote: (args) => args.length === 0 || ['show', 'get-url', '-v', '--verbose'].includes(args[0] ?? ''),
  worktree: (args) => args[0] === 'list',
  submodule: (args) => args.length === 0 || ['status', 'summary'].includes(args[0] ?? ''),
  reflog: (args) => !['expire', 'delete'].includes(args[0] ?? ''),
  'symbolic-ref': (args) => parseArgs(args, 0, { short: 'm' }).operands.length < 2,
  tag: (args) => listsOnly(args, TAG_FLAGS),
  branch: (args) => listsOnly(args, BRANCH_FLAGS),
}

interface ListingFlags {
  writes: string
  lists: string
  listsLong: string[]
}

const BRANCH_FLAGS: ListingFlags = {
  writes: 'dDmMcCfu',
  lists: 'larv',
  listsLong: [
    'list',
    'all',
    'remotes',
    'contains',
    'no-contains',
    'merged',
    'no-merged',
    'points-at',
    'show-current',
    'verbose',
  ],
}
const TAG_FLAGS: ListingFlags = {
  writes: 'dasumFfe',
  lists: 'lnv',
  listsLong: ['list', 'contains', 'no-contains', 'points-at', 'merged', 'no-merged', 'verify'],
}
const WRITES_LONG = new Set([
  'delete',
  'move',
  'copy',
  'force',
  'annotate',
  'sign',
  'local-user',
  'message',
  'file',
  'set-upstream-to',
  'unset-upstream',
  'edit-description',
  'track',
  'create-reflog',
])

/** `git branch`/`git tag`: listing unless a writing flag or a name to create is given. */
function listsOnly(args: string[], known: ListingFlags): boolean {
  const parsed = parseArgs(args, 0, {
    long: ['contains', 'no-contains', 'points-at', 'merged', 'no-merged', 'format', 'sort'],
  })
  const flags = [...parsed.flags]
  if (flags.some((flag) => (flag.length === 1 && known.writes.includes(flag)) || WRITES_LONG.has(flag)))
    return false
  const listing = flags.some(
    (flag) => (flag.length === 1 && known.lists.includes(flag)) || known.listsLong.includes(flag),
  )
  return listing || parsed.operands.length === 0
}

/** Whether the invocation writes; `unknown` when the subcommand is only known at run time. */
export function gitWriteKind(git: GitInvocation): 'write' | 'read' | 'unknown' {
  if (git.sub === undefined) return 'read'
  if (git.sub.dynamic || git.sub.pattern || git.definesAlias) return 'unknown'
  const sub = git.sub.text
  if (WRITES.has(sub)) return 'write'
  const readForm = READ_FORMS[sub]
  return readForm && !readForm(git.args) ? 'write' : 'read'
}

const REMOTE_OPTIONS = {
  short: 'jo',
  long: [
    'depth',
    'deepen',
    'shallow-since',
    'shallow-exclude',
    'upload-pack',
    'receive-pack',
    'exec',
    'jobs',
    'server-option',
    'push-option',
    'negotiation-tip',
    'refmap',
    'repo',
  ],
}

const CLONE_OPTIONS = {
  short: 'bocuj',
  long: [
    'branch',
    'origin',
    'config',
    'depth',
    'reference',
    'reference-if-able',
    'upload-pack',
    'separate-git-dir',
    'jobs',
    'filter',
    'shallow-since',
    'shallow-exclude',
    'template',
    'server-option',
    'bundle-uri',
    'ref-format',
  ],
}

/** The hosts git would contact, `''` for a remote known only by name; `null` when none. */
export function gitNetworkHosts(git: GitInvocation): string[] | null {
  const sub = git.sub?.text
  if (sub === undefined) return null
  if (git.sub?.dynamic) return ['']
  if (sub === 'clone') return repositoryHosts(parseArgs(git.args, 0, CLONE_OPTIONS).operands[0])
  if (['fetch', 'pull', 'push', 'ls-remote'].includes(sub)) {
    const args = parseArgs(git.args, 0, REMOTE_OPTIONS)
    if (args.flags.has('all') || args.flags.has('multiple')) return ['']
    return repositoryHosts(args.operands[0] ?? git.args.find((arg) => arg.startsWith('--repo='))?.slice(7))
  }
  if (sub === 'remote' && git.args[0] === 'update') return ['']
  if (sub === 'submodule' && ['update', 'sync'].includes(git.args[0] ?? '')) return ['']
  if (sub === 'archive') {
    const remote = parseArgs(git.args, 0, {
      short: 'o',
      long: ['remote', 'output', 'format', 'prefix'],
    }).values
    const target = remote.get('remote')?.[0]
    return target === undefined ? null : repositoryHosts(target)
  }
  return null
}

/** A repository argument: a path is local, a URL or `host:path` names a host, a bare name is a remote. */
function repositoryHosts(repository: string | undefined): string[] | null {
  if (repository === undefined) return ['']
  if (repository === '.' || /^(?:\/|\.\.?\/|~|file:\/\/)/.test(repository)) return null
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository)) return [hostOf(repository) ?? '']
  const colon = repository.indexOf(':')
  const slash = repository.indexOf('/')
  if (colon > 0 && (slash < 0 || colon < slash)) return [hostOf(repository.slice(0, colon)) ?? '']
  return slash >= 0 ? null : ['']
}

import { AppError } from '../errors.ts'
import { BOUND_TO_SERVER, git, HARDENING_SETTINGS, inheritedEnv } from './exec.ts'
import { PktLineError, PktLineReader } from './pkt-line.ts'
import {
  ATTEMPT_REFS,
  isDeletion,
  type PushRequest,
  type Refusals,
  readPushRequest,
  redirectProblem,
  refNameProblem,
  refusalReport,
  wantsReport,
} from './push-commands.ts'
import { requireRepo } from './repo.ts'

export { ATTEMPT_REFS } from './push-commands.ts'

/** Who may reach which repository over the git endpoint, and write which refs (decided by the runner-host registry). */
export interface GitRemoteAccess {
  /** The host a runner token belongs to, or null (revoked, unknown). */
  hostFor(token: string): { id: string; name: string } | null
  /** The repository (absolute path of a registered workspace) a host may fetch as `name`, or null. */
  repositoryFor(hostId: string, name: string): string | null
  /** Whether the host may update this ref in that repository (only its attempts' own namespace). */
  mayUpdate(hostId: string, repository: string, ref: string): boolean
}

export type GitService = 'git-upload-pack' | 'git-receive-pack'

/** What the git smart HTTP protocol asks of a repository: the ref advertisement, or one service call. */
export type GitAction = { kind: 'info-refs'; service: GitService } | { kind: 'rpc'; service: GitService }

export interface GitHttpRequest {
  access: GitRemoteAccess
  host: { id: string; name: string }
  /** The repository the access decision resolved (never a path taken from the URL). */
  repository: string
  action: GitAction
  request: Request
  /** The largest pack a push may send (receive.maxInputSize). */
  maxPushBytes: number
}

/**
 * Fetching: a runner names its base commit by id. Protocol v2 accepts any object id as a want
 * ("wants can be anything and are not limited to advertised objects", gitprotocol-v2), so the
 * backend only speaks v0/v1 (it is never handed the client's Git-Protocol header), where
 * allowReachableSHA1InWant limits a want to commits some ref reaches. Any-SHA1 and tip-SHA1
 * widening a repository's own configuration might turn on are turned off again.
 */
const UPLOAD_SETTINGS = [
  'http.uploadpack=true',
  // In this order: turning any-SHA1 off clears the reachable bit too (upload-pack's allow_uor).
  'uploadpack.allowAnySHA1InWant=false',
  'uploadpack.allowTipSHA1InWant=false',
  'uploadpack.allowReachableSHA1InWant=true',
  'uploadpack.allowRefInWant=false',
]

/**
 * What a runner pushes is hostile: every object is checked (the tree entries git itself refuses
 * to check out, `.git` among them, are errors, not warnings), the pack is capped, nothing is
 * deleted, nothing runs afterwards (no hook, no auto gc, no server-info update), and a shallow
 * push is refused. Updates stay forced-allowed: a snapshot replaces the previous one.
 */
const receiveSettings = (maxPushBytes: number) => [
  'http.receivepack=true',
  'receive.fsckObjects=true',
  'transfer.fsckObjects=true',
  ...['hasDot', 'hasDotdot', 'hasDotgit', 'fullPathname', 'emptyName', 'badFilemode', 'nulInCommit'].map(
    (id) => `receive.fsck.${id}=error`,
  ),
  `receive.maxInputSize=${maxPushBytes}`,
  'receive.denyDeletes=true',
  'receive.denyNonFastForwards=false',
  'receive.shallowUpdate=false',
  'receive.advertisePushOptions=false',
  'receive.autogc=false',
  'receive.updateServerInfo=false',
  'gc.auto=0',
]

/**
 * Serves one smart HTTP request of a runner host against the repository its access decision
 * resolved: the ref advertisement, a fetch, or a push into the host's own attempt namespace.
 * Request and response bodies are streamed through `git http-backend`, never held whole.
 */
export async function serveGit(input: GitHttpRequest): Promise<Response> {
  const { commonDir } = await requireRepo(input.repository)
  const { action, request } = input
  // Only the refs this host may update are advertised; the rest of the repository's names stay hidden.
  const visible = await ownRefs(input, commonDir)
  let body: ReadableStream<Uint8Array> | null = request.body
  let decoded = false
  if (action.kind === 'rpc' && action.service === 'git-receive-pack') {
    if (!body) throw new AppError('invalid', 'empty_push', 'a push request needs a body')
    decoded = request.headers.get('content-encoding') === 'gzip'
    if (decoded)
      body = body.pipeThrough(new DecompressionStream('gzip') as ReadableWritablePair<Uint8Array, Uint8Array>)
    const reader = new PktLineReader(body.getReader())
    const push = await readCommands(reader)
    const refusals = await checkPush(input, commonDir, push)
    if (refusals.size > 0) return refuse(push, refusals, reader)
    visible.push(...push.commands.map((command) => command.ref))
    body = reader.replay()
  }
  const settings = [
    ...HARDENING_SETTINGS,
    'transfer.hideRefs=refs/',
    ...visible.map((ref) => `transfer.hideRefs=!${ref}`),
    ...(action.service === 'git-upload-pack' ? UPLOAD_SETTINGS : receiveSettings(input.maxPushBytes)),
  ]
  return runBackend(cgiEnvironment(input, commonDir, decoded, settings), body)
}

async function readCommands(reader: PktLineReader): Promise<PushRequest> {
  try {
    return await readPushRequest(reader)
  } catch (error) {
    if (error instanceof PktLineError || error instanceof TypeError) {
      throw new AppError('invalid', 'malformed_push', `the push request is malformed: ${error.message}`)
    }
    throw error
  }
}

/** The refs of this host's attempts that already exist in the repository. */
async function ownRefs(input: GitHttpRequest, gitDir: string): Promise<string[]> {
  const out = await git(gitDir, ['for-each-ref', '--format=%(refname)', ATTEMPT_REFS], { gitDir })
  return out
    .split('\n')
    .filter((ref) => ref !== '' && input.access.mayUpdate(input.host.id, input.repository, ref))
}

/** Every command of the push that may not go ahead, with why; the push goes ahead only when none. */
async function checkPush(input: GitHttpRequest, gitDir: string, push: PushRequest): Promise<Refusals> {
  const refusals: Refusals = new Map()
  for (const command of push.commands) {
    const { ref } = command
    const badName = refNameProblem(ref)
    const why = badName
      ? `is not an acceptable ref name: it ${badName}`
      : !ref.startsWith(ATTEMPT_REFS) || !input.access.mayUpdate(input.host.id, input.repository, ref)
        ? "is outside this runner host's attempt namespaces"
        : isDeletion(command)
          ? 'may not be deleted'
          : await redirectProblem(gitDir, ref)
    if (why) refusals.set(ref, why)
  }
  return refusals
}

/**
 * A refused push is answered as receive-pack answers a declined one, after reading (and
 * discarding) the rest of the request, so the client reads the report instead of a broken pipe.
 */
async function refuse(push: PushRequest, refusals: Refusals, reader: PktLineReader): Promise<Response> {
  if (!wantsReport(push)) {
    const [ref, why] = [...refusals][0] ?? ['', '']
    throw new AppError('forbidden', 'push_refused', `push refused, nothing was written: ${ref} ${why}`)
  }
  const rest = reader.replay().getReader()
  while (!(await rest.read()).done) {
    // Drained: the client must finish sending before it reads the answer.
  }
  return new Response(new Blob([refusalReport(push, refusals) as Uint8Array<ArrayBuffer>]), {
    headers: { 'content-type': 'application/x-git-receive-pack-result', 'cache-control': 'no-cache' },
  })
}

/**
 * The CGI environment for one request, made from scratch: no variable of the client's reaches git
 * but the method, the content type and length, and the service the route recognised. Settings go
 * through GIT_CONFIG_COUNT, which wins over every configuration file as `-c` does.
 */
function cgiEnvironment(
  input: GitHttpRequest,
  gitDir: string,
  decoded: boolean,
  settings: string[],
): Record<string, string> {
  const { action, request } = input
  const path = action.kind === 'info-refs' ? '/info/refs' : `/${action.service}`
  const who = `runner-${input.host.id.replace(/[^A-Za-z0-9._-]/g, '_')}`
  const env: Record<string, string> = {
    ...inheritedEnv(),
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_COMMITTER_NAME: `openRuntime ${who}`,
    GIT_COMMITTER_EMAIL: `${who}@openruntime.local`,
    REMOTE_USER: who,
    REQUEST_METHOD: request.method,
    PATH_TRANSLATED: `${gitDir}${path}`,
    PATH_INFO: path,
    QUERY_STRING: action.kind === 'info-refs' ? `service=${action.service}` : '',
    CONTENT_TYPE: request.headers.get('content-type') ?? '',
    GIT_CONFIG_COUNT: String(settings.length),
  }
  const length = request.headers.get('content-length')
  if (length !== null && !decoded) env.CONTENT_LENGTH = length
  const encoding = request.headers.get('content-encoding')
  if (encoding !== null && !decoded) env.HTTP_CONTENT_ENCODING = encoding
  settings.forEach((setting, index) => {
    const at = setting.indexOf('=')
    env[`GIT_CONFIG_KEY_${index}`] = setting.slice(0, at)
    env[`GIT_CONFIG_VALUE_${index}`] = setting.slice(at + 1)
  })
  return env
}

/** Runs `git http-backend` for one request and turns its CGI answer into a streamed Response. */
async function runBackend(env: Record<string, string>, body: ReadableStream<Uint8Array> | null) {
  const argv = [...(BOUND_TO_SERVER ? ['setpriv', '--pdeathsig=KILL'] : []), 'git', 'http-backend']
  const proc = Bun.spawn(argv, { env, stdin: body ?? 'ignore', stdout: 'pipe', stderr: 'pipe' })
  void drain(proc.stderr)
  const reader = proc.stdout.getReader()
  const head = await readCgiHead(reader)
  if (head === null) {
    const code = await proc.exited
    throw new AppError('precondition', 'git_failed', `git http-backend exited with ${code} before answering`)
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.rest.length > 0) controller.enqueue(head.rest)
    },
    async pull(controller) {
      const { value, done } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    // The client went away: the backend must not go on writing a pack nobody reads.
    cancel: () => proc.kill('SIGKILL'),
  })
  return new Response(stream, { status: head.status, headers: head.headers })
}

// stderr is not shown to anyone; it must only never fill up and stall the backend.
const drain = async (stream: ReadableStream<Uint8Array>) => {
  const reader = stream.getReader()
  while (!(await reader.read()).done) {}
}

interface CgiHead {
  status: number
  headers: Headers
  rest: Uint8Array
}

const MAX_CGI_HEAD = 16 * 1024

/** The CGI header block (RFC 3875 §6): `Status:` becomes the response status, the rest headers. */
async function readCgiHead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<CgiHead | null> {
  let buffer = new Uint8Array(0)
  while (true) {
    const end = headEnd(buffer)
    if (end !== null) {
      const lines = new TextDecoder().decode(buffer.slice(0, end.at)).split(/\r?\n/)
      const headers = new Headers()
      let status = 200
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon <= 0) continue
        const name = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500
        else headers.append(name, value)
      }
      return { status, headers, rest: buffer.slice(end.at + end.length) }
    }
    if (buffer.length > MAX_CGI_HEAD) return null
    const { value, done } = await reader.read()
    if (done) return null
    const grown = new Uint8Array(buffer.length + value.length)
    grown.set(buffer)
    grown.set(value, buffer.length)
    buffer = grown
  }
}

function headEnd(buffer: Uint8Array): { at: number; length: number } | null {
  for (let i = 0; i < buffer.length - 1; i++) {
    if (buffer[i] !== 10) continue
    if (buffer[i + 1] === 10) return { at: i, length: 2 }
    if (buffer[i + 1] === 13 && buffer[i + 2] === 10) return { at: i, length: 3 }
  }
  return null
}

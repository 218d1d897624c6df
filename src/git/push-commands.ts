import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { git } from './exec.ts'
import { FLUSH, joinBytes, PktLineError, type PktLineReader, pktLine } from './pkt-line.ts'

/** Where a remote attempt's refs live in the workspace repository: `<prefix><attempt id>/…`. */
export const ATTEMPT_REFS = 'refs/openruntime/attempts/'

/** One ref update a push asks for (gitprotocol-pack, "Reference Update Request"). */
export interface PushCommand {
  old: string
  new: string
  ref: string
}

export interface PushRequest {
  commands: PushCommand[]
  /** The capabilities the client asked for on its first command. */
  capabilities: Set<string>
}

const COMMAND = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (.+)$/
const MAX_COMMANDS = 1000
const ZERO = /^0+$/

/**
 * Reads the command list at the front of a receive-pack request, up to its flush. Only plain
 * update commands are accepted: `shallow` lines and a `push-cert` block (whose signed body
 * carries commands of its own) are refused, so receive-pack never acts on a command this list
 * did not show.
 */
export async function readPushRequest(reader: PktLineReader): Promise<PushRequest> {
  const commands: PushCommand[] = []
  let capabilities = new Set<string>()
  for (let line = await reader.next(); line !== null; line = await reader.next()) {
    if (commands.length === MAX_COMMANDS) throw new PktLineError(`more than ${MAX_COMMANDS} ref updates`)
    let text = new TextDecoder('utf-8', { fatal: true }).decode(line).replace(/\n$/, '')
    if (commands.length === 0) {
      const nul = text.indexOf('\0')
      if (nul >= 0) {
        capabilities = new Set(
          text
            .slice(nul + 1)
            .split(' ')
            .filter(Boolean),
        )
        text = text.slice(0, nul)
      }
    }
    const match = COMMAND.exec(text)
    if (!match?.[1] || !match[2] || !match[3]) {
      throw new PktLineError(`not a ref update command: ${JSON.stringify(text.slice(0, 80))}`)
    }
    commands.push({ old: match[1], new: match[2], ref: match[3] })
  }
  return { commands, capabilities }
}

/**
 * Ref names a runner may write: git's own rules (git-check-ref-format) narrowed to a safe
 * alphabet, so no component can be `..`, hidden, a lock file or carry a character git or a
 * filesystem reads specially.
 */
export function refNameProblem(ref: string): string | null {
  if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return 'has characters outside A-Z a-z 0-9 . _ / -'
  for (const part of ref.split('/')) {
    if (part === '') return 'has an empty path component'
    if (part.startsWith('.')) return 'has a path component starting with "."'
    if (part.endsWith('.lock')) return 'has a path component ending in ".lock"'
  }
  if (ref.includes('..')) return 'contains ".."'
  if (ref.endsWith('.')) return 'ends with "."'
  return null
}

/**
 * Why the update of `ref` in the repository at `gitDir` would write somewhere else than the ref
 * itself: the ref is a symbolic ref, or one of the folders its loose file lives in (or the file)
 * is a symbolic link. receive-pack follows both, onto whatever they point at.
 */
export async function redirectProblem(gitDir: string, ref: string): Promise<string | null> {
  const parts = ref.split('/')
  for (let depth = 1; depth <= parts.length; depth++) {
    const path = join(gitDir, ...parts.slice(0, depth))
    const stat = await lstat(path).catch(() => null)
    if (stat === null) break
    if (stat.isSymbolicLink()) return `${parts.slice(0, depth).join('/')} is a symbolic link`
  }
  const target = (await git(gitDir, ['symbolic-ref', '-q', ref], { gitDir })).trim()
  return target ? `is a symbolic ref to ${target}` : null
}

/** The reason each refused command is refused, by ref. */
export type Refusals = Map<string, string>

/**
 * What receive-pack would have answered had a hook declined the push: every ref `ng`, with its own
 * reason or the one that sank the push, on the side-band when the client asked for one, and an
 * explanation on the progress channel that git shows as `remote:` lines.
 */
export function refusalReport(request: PushRequest, refusals: Refusals): Uint8Array {
  const first = [...refusals].map(([ref, why]) => `${ref} ${why}`)[0] ?? 'refused'
  const report = joinBytes([
    pktLine('unpack ok\n'),
    ...request.commands.map(({ ref }) =>
      pktLine(`ng ${ref} ${refusals.get(ref) ?? `push refused with it: ${first}`}\n`),
    ),
    FLUSH,
  ])
  const { capabilities } = request
  const band = capabilities.has('side-band-64k') ? 65515 : capabilities.has('side-band') ? 995 : 0
  if (band === 0) return report
  const message = `openRuntime: push refused, nothing was written: ${first}\n`
  const frames = [pktLine(joinBytes([Uint8Array.of(2), new TextEncoder().encode(message)]))]
  for (let at = 0; at < report.length; at += band) {
    frames.push(pktLine(joinBytes([Uint8Array.of(1), report.slice(at, at + band)])))
  }
  return joinBytes([...frames, FLUSH])
}

/** Whether the client can read a ref-by-ref report (else a refusal can only be an HTTP error). */
export const wantsReport = (request: PushRequest) =>
  request.capabilities.has('report-status') || request.capabilities.has('report-status-v2')

export const isDeletion = (command: PushCommand) => ZERO.test(command.new)

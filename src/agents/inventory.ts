import { join } from 'node:path'
import { claudeSession } from './sessions/claude'
import { codexIndex, codexSession, resumeCommand } from './sessions/codex'
import { fileInfo, findDirs, listJsonl, sampleRecords, type TranscriptFile } from './sessions/files'
import type { LocalRunnerSession } from './sessions/types'

export type { LocalRunnerSession } from './sessions/types'

/**
 * The Claude Code and Codex sessions found on this machine (`GET /runner-sessions`). Unlike the
 * original scan, it is bounded (the newest `limit` transcripts per root, sampled) and each
 * transcript is parsed again only when its mtime or size changed.
 */

export interface InventoryOptions {
  /** Reads HOME, CLAUDE_CONFIG_DIR (Claude's own override), CLAUDE_HOME and CODEX_HOME. */
  env?: Record<string, string | undefined>
  /** Most transcripts read per root (Claude projects, Claude sub-agents, Codex), newest first. */
  limit?: number
}

export interface RunnerSessionList {
  sessions: LocalRunnerSession[]
  codex_home: string
  claude_home: string
}

const DEFAULT_LIMIT = 200

export function sessionRoots(env: Record<string, string | undefined> = process.env) {
  const home = env.HOME ?? ''
  return {
    claudeHome: env.CLAUDE_CONFIG_DIR || env.CLAUDE_HOME || join(home, '.claude'),
    codexHome: env.CODEX_HOME || join(home, '.codex'),
  }
}

interface CacheEntry {
  mtimeMs: number
  size: number
  session: LocalRunnerSession | null
}

const byRecency = (a: LocalRunnerSession, b: LocalRunnerSession): number =>
  (b.updated_at ?? '').localeCompare(a.updated_at ?? '') ||
  (b.created_at ?? '').localeCompare(a.created_at ?? '') ||
  a.runner.localeCompare(b.runner)

export class SessionInventory {
  private cache = new Map<string, CacheEntry>()

  list(options: InventoryOptions = {}): RunnerSessionList {
    const { claudeHome, codexHome } = sessionRoots(options.env)
    const limit = options.limit ?? DEFAULT_LIMIT
    const seen = new Map<string, CacheEntry>()
    const read = (file: TranscriptFile, parse: (file: TranscriptFile) => LocalRunnerSession | null) => {
      const cached = this.cache.get(file.path)
      const entry =
        cached && cached.mtimeMs === file.mtimeMs && cached.size === file.size
          ? cached
          : { mtimeMs: file.mtimeMs, size: file.size, session: parse(file) }
      seen.set(file.path, entry)
      return entry.session
    }

    const sessions: LocalRunnerSession[] = []
    const keep = (session: LocalRunnerSession | null) => {
      if (session) sessions.push(session)
    }
    const projects = join(claudeHome, 'projects')
    for (const file of listJsonl(projects, limit, (name) => name === 'subagents'))
      keep(read(file, (f) => claudeSession(f.path, sampleRecords(f), false)))
    const subagentFiles = findDirs(projects, 'subagents').flatMap((dir) => listJsonl(dir, limit))
    for (const file of subagentFiles.sort((a, b) => b.mtimeMs - a.mtimeMs).slice(0, limit))
      keep(read(file, (f) => claudeSession(f.path, sampleRecords(f), true)))

    const codexFiles = [
      ...listJsonl(join(codexHome, 'sessions'), limit),
      ...listJsonl(join(codexHome, 'archived_sessions'), limit),
    ]
    const codexSessions = codexFiles
      .sort((a, b) => b.mtimeMs - a.mtimeMs)
      .slice(0, limit)
      .map((file) => read(file, (f) => codexSession(f.path, sampleRecords(f))))
      .filter((session): session is LocalRunnerSession => session !== null)
    const indexFile = fileInfo(join(codexHome, 'session_index.jsonl'))
    const index = codexIndex(indexFile ? sampleRecords(indexFile) : [])
    for (const session of codexSessions) {
      const entry = index.get(session.session_id)
      index.delete(session.session_id)
      sessions.push(
        entry
          ? {
              ...session,
              title: entry.title ?? session.title,
              updated_at: entry.updated_at ?? session.updated_at,
            }
          : session,
      )
    }
    for (const entry of index.values())
      sessions.push({
        runner: 'codex',
        session_id: entry.id,
        title: entry.title,
        updated_at: entry.updated_at,
        source: 'codex-session-index',
        resume_command: resumeCommand(entry.id),
        message_count: 0,
        managed_by_openruntime: false,
      })

    this.cache = seen
    // Copies: callers link sessions to tasks by setting fields, which must not reach the cache.
    const list = sessions.sort(byRecency).map((session) => ({ ...session }))
    return { sessions: list, codex_home: codexHome, claude_home: claudeHome }
  }
}

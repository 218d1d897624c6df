import { basename } from 'node:path'
import { arr, isObject, type Json, obj, str } from '../json'
import { preview } from './preview'
import type { LocalRunnerSession } from './types'

const UUID_SUFFIX = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

export interface CodexIndexEntry {
  id: string
  title?: string
  updated_at?: string
}

export const resumeCommand = (id: string) => `codex resume --include-non-interactive ${id}`

/** Text of a Responses-API message item; injected context (environment, aborts) is tag-wrapped. */
function messageText(payload: Json): string | null {
  const text = arr(payload.content)
    .map((part) => (isObject(part) ? (str(part.text) ?? '') : ''))
    .join('\n')
  return text.trim() && !text.trimStart().startsWith('<') ? text : null
}

/**
 * One Codex rollout (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`). Only
 * user and assistant messages count; the original also counted their event mirrors, twice over.
 */
export function codexSession(path: string, records: Json[]): LocalRunnerSession | null {
  let id: string | undefined
  let workspace: string | undefined
  let createdAt: string | undefined
  let updatedAt: string | undefined
  let firstPrompt: string | undefined
  let lastMessage: string | undefined
  let count = 0
  for (const record of records) {
    updatedAt = str(record.timestamp) ?? updatedAt
    const payload = obj(record.payload)
    if (record.type === 'session_meta') {
      id ??= str(payload.id)
      workspace = str(payload.cwd) ?? workspace
      createdAt ??= str(payload.timestamp)
    } else if (record.type === 'turn_context') {
      workspace = str(payload.cwd) ?? workspace
    } else if (record.type === 'response_item' && payload.type === 'message') {
      if (payload.role !== 'user' && payload.role !== 'assistant') continue
      const text = messageText(payload)
      if (!text) continue
      count++
      if (payload.role === 'user') firstPrompt ??= preview(text) ?? undefined
      lastMessage = preview(text) ?? lastMessage
    }
  }
  const sessionId = id ?? UUID_SUFFIX.exec(basename(path, '.jsonl'))?.[1]
  if (!sessionId) return null
  return {
    runner: 'codex',
    session_id: sessionId,
    title: firstPrompt,
    workspace,
    transcript_path: path,
    created_at: createdAt ?? updatedAt,
    updated_at: updatedAt,
    source: 'codex-jsonl',
    resume_command: resumeCommand(sessionId),
    message_count: count,
    last_message: lastMessage,
    managed_by_openruntime: false,
  }
}

/** `$CODEX_HOME/session_index.jsonl`: thread names and times, which win over the transcript's. */
export function codexIndex(records: Json[]): Map<string, CodexIndexEntry> {
  const entries = new Map<string, CodexIndexEntry>()
  for (const record of records) {
    const id = str(record.id)
    if (!id) continue
    entries.set(id, {
      id,
      title: preview(record.thread_name) ?? undefined,
      updated_at: str(record.updated_at),
    })
  }
  return entries
}

import { closeSync, type Dirent, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Json, parseJsonObject } from '../json'

export interface TranscriptFile {
  path: string
  mtimeMs: number
  size: number
}

const FULL_READ_BYTES = 256 * 1024
const TAIL_BYTES = 128 * 1024
/** Codex's header line holds the whole base prompt; it is read in steps up to this bound. */
const MAX_HEADER_BYTES = 1024 * 1024
const HEADER_STEP = 64 * 1024
const MAX_DEPTH = 6

export function fileInfo(path: string): TranscriptFile | null {
  try {
    const stat = statSync(path)
    return stat.isFile() ? { path, mtimeMs: stat.mtimeMs, size: stat.size } : null
  } catch {
    return null
  }
}

/** A folder that vanished or cannot be read is simply empty. */
function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

/** `*.jsonl` files under `root`, newest first, at most `limit`; symlinks are not followed. */
export function listJsonl(
  root: string,
  limit: number,
  skipDir?: (name: string) => boolean,
): TranscriptFile[] {
  const found: TranscriptFile[] = []
  const walk = (dir: string, depth: number) => {
    for (const entry of entriesOf(dir)) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !skipDir?.(entry.name)) walk(path, depth + 1)
      } else if (entry.isFile() && entry.name.endsWith('.jsonl')) {
        const file = fileInfo(path)
        if (file) found.push(file)
      }
    }
  }
  walk(root, 0)
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs).slice(0, limit)
}

/** Directories named `name` under `root` (not inside one another). */
export function findDirs(root: string, name: string): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number) => {
    for (const entry of entriesOf(dir)) {
      if (!entry.isDirectory()) continue
      const path = join(dir, entry.name)
      if (entry.name === name) found.push(path)
      else if (depth < MAX_DEPTH) walk(path, depth + 1)
    }
  }
  walk(root, 0)
  return found
}

function readRange(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  const read = readSync(fd, buffer, 0, length, start)
  return buffer.subarray(0, read)
}

function headerLine(fd: number, size: number): string {
  let head = Buffer.alloc(0)
  while (head.length < Math.min(size, MAX_HEADER_BYTES)) {
    const chunk = readRange(fd, head.length, HEADER_STEP)
    if (chunk.length === 0) break
    head = Buffer.concat([head, chunk])
    const newline = head.indexOf(10)
    if (newline !== -1) return head.subarray(0, newline).toString('utf8')
  }
  return ''
}

/**
 * The records of a transcript, sampled: a small file whole; a large one as its first line (the
 * session header) plus its last 128 KiB, whose first, partial line is dropped. Counts taken from
 * a large file are therefore partial. Lines that are not JSON objects are skipped.
 */
export function sampleRecords(file: TranscriptFile): Json[] {
  let lines: string[]
  let fd: number | null = null
  try {
    fd = openSync(file.path, 'r')
    if (file.size <= FULL_READ_BYTES) {
      lines = readRange(fd, 0, file.size).toString('utf8').split('\n')
    } else {
      const tail = readRange(fd, file.size - TAIL_BYTES, TAIL_BYTES)
        .toString('utf8')
        .split('\n')
        .slice(1)
      lines = [headerLine(fd, file.size), ...tail]
    }
  } catch {
    return []
  } finally {
    if (fd !== null) closeSync(fd)
  }
  return lines.map(parseJsonObject).filter((record): record is Json => record !== null)
}

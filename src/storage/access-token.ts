import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../config'

const TOKEN_FILE = 'token'
const OWNER_ONLY = 0o600
const WELL_FORMED = /^[\x21-\x7e]{16,1024}$/

export function accessTokenPath(dataDir: string): string {
  return join(dataDir, TOKEN_FILE)
}

/**
 * The server's access token, kept in its data directory (readable by its user only; runs do not
 * see the data directory): made at the first start, the same after every restart.
 */
export function accessToken(dataDir: string): string {
  const path = accessTokenPath(dataDir)
  try {
    const fd = openSync(path, 'wx', OWNER_ONLY)
    try {
      const token = newToken()
      writeSync(fd, `${token}\n`)
      return token
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  chmodSync(path, OWNER_ONLY)
  const stored = readFileSync(path, 'utf8').trim()
  if (stored === '') {
    // A start that died between making the file and writing it.
    const token = newToken()
    writeFileSync(path, `${token}\n`, { mode: OWNER_ONLY })
    return token
  }
  if (!WELL_FORMED.test(stored))
    throw new ConfigError(`the access token in ${path} is malformed: delete the file to make a new one`)
  return stored
}

const newToken = () => randomBytes(32).toString('base64url')

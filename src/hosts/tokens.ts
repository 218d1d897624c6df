import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** `ort_` and 43 base64url characters: 32 random bytes (the shared vocabulary of issue 14). */
export const RUNNER_TOKEN = /^ort_[A-Za-z0-9_-]{43}$/

export const newRunnerToken = (): string => `ort_${randomBytes(32).toString('base64url')}`

/** What is stored of a token: its SHA-256, hex. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Enough of a token to tell it apart in a list, never enough to use it. */
export const tokenPrefix = (token: string): string => token.slice(0, 8)

/** Whether two stored hashes are the same, in constant time. */
export function sameHash(given: string, stored: string): boolean {
  const a = Buffer.from(given, 'hex')
  const b = Buffer.from(stored, 'hex')
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b)
}

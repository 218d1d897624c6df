// SQLite refusing a write: a read-only file, a full disk, an I/O error, a lock held elsewhere.
// The transaction rolled back, so nothing changed and the write may be tried again later.
const WRITE_REFUSED = /^SQLITE_(READONLY|FULL|IOERR|BUSY|LOCKED|CANTOPEN)/

export function isWriteRefused(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && WRITE_REFUSED.test(code)
}

// Refusals that will not pass by themselves: retrying soon is pointless until someone frees space
// or fixes permissions (a busy or locked database is only waited out).
const LASTING = /^SQLITE_(READONLY|FULL|IOERR|CANTOPEN)/

export function isLastingWriteFailure(error: unknown): boolean {
  return isWriteRefused(error) && LASTING.test(error.code)
}

/**
 * Runs `write` until storage accepts it, waiting longer between tries (up to `maxDelayMs`), so an
 * outcome reached while the disk is full is recorded once space is freed. Gives up (rethrowing the
 * refusal) when `until` aborts; any other error is rethrown at once.
 */
export async function retryRefusedWrite<T>(
  write: () => T,
  until: AbortSignal,
  { firstDelayMs = 200, maxDelayMs = 5000 } = {},
): Promise<T> {
  for (let delay = firstDelayMs; ; delay = Math.min(delay * 2, maxDelayMs)) {
    try {
      return write()
    } catch (error) {
      if (!isWriteRefused(error) || until.aborted) throw error
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay)
      until.addEventListener('abort', done, { once: true })
      function done() {
        clearTimeout(timer)
        until.removeEventListener('abort', done)
        resolve()
      }
    })
  }
}

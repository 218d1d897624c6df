import { findPemStart, pemBlock } from './pem'
import type { Redactor } from './redact'

/**
 * Redaction for output that arrives in chunks. It emits at once everything that cannot be the
 * start of a secret and holds back only a tail that could be (`sk-ab`, `password: `, half a
 * secret value, an open PEM block), so the concatenated output equals the one-shot redaction of
 * the whole text. The held tail is bounded: HOLD_MAX outside a PEM block (past that the oldest part
 * is emitted, redacted as it stands), and PEM_MAX_BODY inside one (then the block is emitted
 * redacted). `flush()` emits the tail now, for a process that went quiet on a prompt.
 */
export interface StreamRedactor {
  push(text: string): string
  /** Emits everything held, redacted as if the text ended here, and keeps going. */
  flush(): string
  end(): string
}

export const HOLD_MAX = 8 * 1024

export function createStreamRedactor(redactor: Redactor): StreamRedactor {
  let pending = ''

  const drain = (final: boolean): string => {
    let out = ''
    while (pending !== '') {
      const start = findPemStart(pending)
      if (start >= 0) {
        out += redactor.redactText(pending.slice(0, start))
        pending = pending.slice(start)
        const block = pemBlock(pending, 0, final)
        if (block === undefined) break
        out += block.replacement
        pending = pending.slice(block.end)
        continue
      }
      const bound = pending.length - HOLD_MAX
      let cut = final ? pending.length : redactor.safeLength(pending, Math.max(0, bound))
      if (cut < bound) cut = bound
      out += redactor.redactText(pending.slice(0, cut))
      pending = pending.slice(cut)
      break
    }
    return out
  }

  return {
    push: (text) => {
      pending += text
      return drain(false)
    },
    flush: () => drain(true),
    end: () => drain(true),
  }
}

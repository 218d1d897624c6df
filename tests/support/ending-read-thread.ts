import type { ReadReply } from '../../src/routes/reads/read-protocol'

/**
 * The pages' thread, ending on cue: it opens and says it is ready as the real one does, then exits
 * on the first question it is asked, without answering it.
 */
declare const self: Worker

const ready: ReadReply = { ready: true }

self.onmessage = ({ data }: MessageEvent<{ open?: unknown }>) => {
  if (data.open) {
    self.postMessage(ready)
    return
  }
  process.exit(1)
}

import { AppError } from '../../errors'
import { lowerThreadPriority } from '../../process/thread-priority'
import { openReadSide, type ReadSide, type ReadSideSettings } from '../../tasks/read-side'
import { answer, type ReadAnswer } from './answers'
import type { ReadReply, ReadRequest } from './read-protocol'

/**
 * The pages' thread: the read routes' answers (the task page) built here, on a connection that
 * only reads, while the event loop that owns the runs takes their output in.
 */
declare const self: Worker

let side: ReadSide | null = null

const reply = (message: ReadReply, transfer: Transferable[] = []) => self.postMessage(message, transfer)
const encoder = new TextEncoder()

/** An answer's body as the bytes the thread moves to the loop. */
async function asBytes(body: ReadAnswer['body']): Promise<Uint8Array> {
  if (typeof body === 'string') return encoder.encode(body)
  return body instanceof Blob ? await body.bytes() : body
}

self.onmessage = async ({ data }: MessageEvent<{ open: ReadSideSettings } | ReadRequest>) => {
  if ('open' in data) {
    lowerThreadPriority()
    side = openReadSide(data.open)
    reply({ ready: true })
    return
  }
  try {
    if (!side) throw new Error('the read side was asked before it was opened')
    const { body, headers } = await answer(side, data.question)
    const bytes = await asBytes(body)
    reply({ id: data.id, answer: { body: bytes, headers } }, [bytes.buffer])
  } catch (error) {
    reply({
      id: data.id,
      failure:
        error instanceof AppError
          ? { kind: error.kind, code: error.code, message: error.message, details: error.details }
          : { message: error instanceof Error ? error.message : String(error) },
    })
  }
}

import type { ErrorKind } from '../../errors'
import type { ReadAnswer, ReadQuestion } from './answers'

/** A question for the pages' thread, numbered so its reply finds it. */
export interface ReadRequest {
  id: number
  question: ReadQuestion
}

/**
 * What the thread says: it is ready, or one question's answer or failure. A failure with a kind
 * was an AppError there and is one again here, so it is answered as the loop would have.
 */
export type ReadReply =
  | { ready: true }
  | { id: number; answer: ReadAnswer }
  | {
      id: number
      failure: { kind?: ErrorKind; code?: string; message: string; details?: Record<string, unknown> }
    }

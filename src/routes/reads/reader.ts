import { AppError } from '../../errors'
import type { ReadSideSettings } from '../../tasks/read-side'
import { answer, type ReadAnswer, type ReadQuestion } from './answers'
import type { ReadReply, ReadRequest } from './read-protocol'
import type { ReadServices } from './read-services'

/** Who answers the read routes: the event loop itself, or the pages' thread. */
export interface Reader {
  answer(question: ReadQuestion): Promise<ReadAnswer>
  close(): void
}

/** Answers on the event loop, from the runtime's own services (tests, and where no thread is wanted). */
export const inlineReader = (services: ReadServices): Reader => ({
  answer: (question) => answer(services, question),
  close: () => {},
})

const THREAD = new URL('./read-thread.ts', import.meta.url)

interface Asked {
  question: ReadQuestion
  resolve: (answer: ReadAnswer) => void
  reject: (error: Error) => void
}

export interface ThreadReaderOptions {
  /**
   * Whether the loop is taking runs' output in now. A page of the task list is then built on the
   * thread too; otherwise the loop builds it itself: on the thread (a hop, at a lower priority) its
   * warm first page took 1.4 times as long, and an idle loop has nothing it would hold up.
   */
  busy?: () => boolean
  /** The thread's entry (tests name one that misbehaves). */
  thread?: URL
}

/**
 * Answers on the pages' thread (read-thread.ts), so building a task page never holds up the
 * event loop that takes the runs' output in and answers every other request. Until the thread has
 * opened its connection, and once it has ended, the loop answers instead: the same answer from the
 * same code, and a question the thread took with it is asked again there (they only read).
 */
export class ThreadReader implements Reader {
  private readonly worker: Worker
  private readonly asked = new Map<number, Asked>()
  private nextId = 0
  private state: 'starting' | 'ready' | 'ended' = 'starting'
  private settleReady: (ready: boolean) => void = () => {}
  /** True once the thread answers, false if it ended before (tests wait for it to see the thread's answers). */
  readonly ready = new Promise<boolean>((resolve) => {
    this.settleReady = resolve
  })

  private readonly busy: () => boolean

  constructor(
    settings: ReadSideSettings,
    private readonly inline: ReadServices,
    options: ThreadReaderOptions = {},
  ) {
    this.busy = options.busy ?? (() => true)
    this.worker = new Worker(options.thread ?? THREAD, { ref: false })
    this.worker.onmessage = ({ data }: MessageEvent<ReadReply>) => this.take(data)
    this.worker.addEventListener('error', (event) => {
      console.error(`the pages' thread failed: ${(event as ErrorEvent).message}`)
    })
    this.worker.addEventListener('close', () => this.ended())
    this.worker.postMessage({ open: settings })
  }

  answer(question: ReadQuestion): Promise<ReadAnswer> {
    const offLoop = question.kind === 'task-page' || this.busy()
    if (this.state !== 'ready' || !offLoop) return answer(this.inline, question)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.asked.set(id, { question, resolve, reject })
      this.worker.postMessage({ id, question } satisfies ReadRequest)
    })
  }

  close(): void {
    this.ended()
    this.worker.terminate()
  }

  private take(reply: ReadReply): void {
    if ('ready' in reply) {
      if (this.state === 'starting') this.state = 'ready'
      this.settleReady(this.state === 'ready')
      return
    }
    const asked = this.asked.get(reply.id)
    if (!asked) return
    this.asked.delete(reply.id)
    if ('answer' in reply) {
      asked.resolve(reply.answer)
      return
    }
    const { kind, code, message, details } = reply.failure
    asked.reject(kind && code ? new AppError(kind, code, message, details) : new Error(message))
  }

  private ended(): void {
    if (this.state === 'ended') return
    this.state = 'ended'
    this.settleReady(false)
    const left = [...this.asked.values()]
    this.asked.clear()
    for (const { question, resolve, reject } of left) answer(this.inline, question).then(resolve, reject)
  }
}

/**
 * Resolves on the next turn of the event loop, once what else is ready has run (other requests,
 * runs' output, the event log's batches). A page built from several reads and renders of a few
 * milliseconds each awaits this between them: a request that arrives meanwhile waits for one part,
 * not for the whole page.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

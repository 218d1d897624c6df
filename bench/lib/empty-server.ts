/**
 * The machine's own limit for answering a request: a Bun server that does nothing else, in a
 * process of its own. Probed beside openRuntime under the same load, it shows how long any event
 * loop waits for a core on this machine then (`bun bench/lib/empty-server.ts` prints its port).
 */
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('{"status":"ok"}') })
console.log(server.port)

import type { ProbeOrder, ProbeTarget } from './health-probe-thread'

/**
 * Probes GET /health one request after another on a thread of its own, so what it measures is the
 * server's answer and not the wait for the benchmark's own event loop: the loop that generates the
 * load parses pages of tasks, and a probe sharing it would be read only once that is done.
 */
export interface HealthProbe<Latencies = number[]> {
  /** Ends probing after the request in flight. */
  stop(): void
  /** Every latency measured (ms), in order, once probing ended. */
  latencies: Promise<Latencies>
}

/**
 * Probes each of `servers` (a base URL and the headers it wants) in turn, one request at a time,
 * until stopped or `rounds` times each: servers probed together see the same moments of the load.
 * Latencies come back per server, in the order given.
 */
export function probeInTurn(
  servers: Array<{ url: string; headers: Record<string, string> }>,
  rounds = Number.POSITIVE_INFINITY,
): HealthProbe<number[][]> {
  const worker = new Worker(new URL('./health-probe-thread.ts', import.meta.url).href)
  const stopFlag = new Int32Array(new SharedArrayBuffer(4))
  const latencies = new Promise<number[][]>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<number[][]>) => {
      resolve(message.data)
      worker.terminate()
    }
    worker.onerror = (error) => reject(error)
  })
  const targets: ProbeTarget[] = servers.map(({ url, headers }) => ({ url: `${url}/health`, headers }))
  const order: ProbeOrder = { targets, count: rounds, stopFlag }
  worker.postMessage(order)
  return { stop: () => Atomics.store(stopFlag, 0, 1), latencies }
}

/** Probes `url`/health with `headers` until stopped, or `count` times. */
export function probeHealth(
  url: string,
  headers: Record<string, string>,
  count = Number.POSITIVE_INFINITY,
): HealthProbe {
  const probe = probeInTurn([{ url, headers }], count)
  return { stop: probe.stop, latencies: probe.latencies.then(([only]) => only ?? []) }
}

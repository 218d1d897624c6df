declare const self: Worker

/** One server the probe asks: where, and with what credential. */
export interface ProbeTarget {
  url: string
  headers: Record<string, string>
}

/** What the probe is told: whom to ask (in turn, one request each), how often, and the flag that stops it. */
export interface ProbeOrder {
  targets: ProbeTarget[]
  /** Rounds: each asks every target once. */
  count: number
  stopFlag: Int32Array
}

self.onmessage = async ({ data }: MessageEvent<ProbeOrder>) => {
  const latencies: number[][] = data.targets.map(() => [])
  for (let round = 0; round < data.count && Atomics.load(data.stopFlag, 0) === 0; round++) {
    for (const [index, target] of data.targets.entries()) {
      const started = performance.now()
      await (await fetch(target.url, { headers: target.headers })).text()
      latencies[index]?.push(performance.now() - started)
    }
  }
  self.postMessage(latencies)
}

declare const self: Worker

/** What the probe is told: where, with what credential, how often, and the flag that stops it. */
export interface ProbeOrder {
  url: string
  headers: Record<string, string>
  count: number
  stopFlag: Int32Array
}

self.onmessage = async ({ data }: MessageEvent<ProbeOrder>) => {
  const latencies: number[] = []
  while (latencies.length < data.count && Atomics.load(data.stopFlag, 0) === 0) {
    const started = performance.now()
    await (await fetch(data.url, { headers: data.headers })).text()
    latencies.push(performance.now() - started)
  }
  self.postMessage(latencies)
}

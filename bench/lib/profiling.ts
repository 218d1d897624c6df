/**
 * `SRVPROF="--cpu-prof-md --cpu-prof-dir=/tmp/prof" bun bench/b3-concurrency.ts`: the benchmark's
 * server runs with those Bun options (a CPU profile of the server, written when it exits).
 */
export const serverProfiling = (): Record<string, string> =>
  process.env.SRVPROF ? { BUN_OPTIONS: process.env.SRVPROF } : {}

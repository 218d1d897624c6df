import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../tests/support/temp'
import { benchIngest, benchLongLine } from './b1-ingest'
import { benchDispatch } from './b2-dispatch'
import { benchConcurrency } from './b3-concurrency'
import { benchHistory } from './b4-history'
import { benchReview } from './b5-review'
import { benchRunnerHosts } from './b6-runner-hosts'
import { benchGroups } from './b7-groups'

/** `bun run bench`: every benchmark against a real server, each figure beside its same-run baseline. */
const ROOT = join(import.meta.dir, '..')

const BENCHMARKS: Record<string, () => Promise<unknown>> = {
  b1: async () => ({ ...(await benchIngest()), long_line: await benchLongLine() }),
  b2: () => benchDispatch(200),
  b3: benchConcurrency,
  b4: benchHistory,
  b5: benchReview,
  b6: () => benchRunnerHosts(50),
  b7: benchGroups,
}

// A child given one benchmark's name runs it and leaves its figures in the file named beside it.
const CHILD_BENCH = 'OPENRUNTIME_BENCH_ONE'
const CHILD_OUT = 'OPENRUNTIME_BENCH_OUT'

const child = process.env[CHILD_BENCH]
if (child !== undefined) {
  const bench = BENCHMARKS[child]
  if (!bench) throw new Error(`no benchmark ${child}`)
  writeFileSync(process.env[CHILD_OUT] as string, JSON.stringify(await bench()))
  process.exit(0)
}

/**
 * Each benchmark runs in a process of its own: run one after another in one process, a benchmark's
 * baseline and client ran in the heap and beside the threads the ones before it left (B1's million
 * rows, B3's runtime without a server), and both moved with the order they ran in.
 */
async function runAlone(name: string): Promise<unknown> {
  const dir = tempDir('openruntime-bench-result-')
  try {
    const out = join(dir.path, `${name}.json`)
    const proc = Bun.spawn([process.execPath, import.meta.path], {
      cwd: ROOT,
      env: { ...process.env, [CHILD_BENCH]: name, [CHILD_OUT]: out },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const code = await proc.exited
    if (code !== 0) throw new Error(`${name} failed (exit ${code})`)
    return JSON.parse(readFileSync(out, 'utf8'))
  } finally {
    dir.cleanup()
  }
}

const latestPath = join(ROOT, 'bench', 'results', 'latest.json')
// Running only some benchmarks (`bun run bench b2`) updates their entries and keeps the others.
const results: Record<string, unknown> = existsSync(latestPath)
  ? JSON.parse(readFileSync(latestPath, 'utf8'))
  : {}
results.machine = { cores: navigator.hardwareConcurrency, bun: Bun.version }
results.at = new Date().toISOString()
const only = process.argv.slice(2)
const unknown = only.filter((name) => !(name in BENCHMARKS))
if (unknown.length)
  throw new Error(`no benchmark ${unknown.join(', ')} (there are ${Object.keys(BENCHMARKS).join(', ')})`)
for (const name of Object.keys(BENCHMARKS)) {
  if (only.length && !only.includes(name)) continue
  console.error(`running ${name}…`)
  results[name] = await runAlone(name)
}

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
writeFileSync(latestPath, `${JSON.stringify(results, null, 2)}\n`)
const rows = Object.entries(results)
  .filter(([name]) => /^b\d$/.test(name))
  .flatMap(([name, figures]) =>
    Object.entries(figures as Record<string, unknown>).map(
      ([key, value]) => `| ${name} | ${key} | ${JSON.stringify(value)} |`,
    ),
  )
console.log(['| bench | figure | value |', '| --- | --- | --- |', ...rows].join('\n'))
process.exit(0)

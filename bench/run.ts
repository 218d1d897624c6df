import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { benchIngest, benchLongLine } from './b1-ingest'
import { benchDispatch } from './b2-dispatch'
import { benchConcurrency } from './b3-concurrency'
import { benchHistory } from './b4-history'
import { benchReview } from './b5-review'
import { benchRunnerHosts } from './b6-runner-hosts'
import { benchGroups } from './b7-groups'

/** `bun run bench`: every benchmark against a real server, each figure beside its same-run baseline. */
const ROOT = join(import.meta.dir, '..')

const latestPath = join(ROOT, 'bench', 'results', 'latest.json')
// Running only some benchmarks (`bun run bench b2`) updates their entries and keeps the others.
const results: Record<string, unknown> = existsSync(latestPath)
  ? JSON.parse(readFileSync(latestPath, 'utf8'))
  : {}
results.machine = { cores: navigator.hardwareConcurrency, bun: Bun.version }
results.at = new Date().toISOString()
const only = process.argv.slice(2)
const run = async (name: string, bench: () => Promise<unknown>) => {
  if (only.length && !only.includes(name)) return
  console.error(`running ${name}…`)
  results[name] = await bench()
}
await run('b1', async () => ({ ...(await benchIngest()), long_line: await benchLongLine() }))
await run('b2', () => benchDispatch(200))
await run('b3', benchConcurrency)
await run('b4', benchHistory)
await run('b5', benchReview)
await run('b6', () => benchRunnerHosts(50))
await run('b7', benchGroups)

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

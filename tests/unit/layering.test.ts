import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { tempDir } from '../support/temp'

const ROOT = join(import.meta.dir, '..', '..')
const CONFIG = join(ROOT, '.dependency-cruiser.cjs')

interface Violation {
  rule: string
  from: string
  to: string
}

/** dependency-cruiser over `cwd`'s src/ with the project's rules, reporting as `reporter` does. */
function depcruise(cwd: string, reporter: 'json' | 'err') {
  return Bun.spawnSync(
    [
      process.execPath,
      '--bun',
      join(ROOT, 'node_modules', '.bin', 'depcruise'),
      'src',
      '--config',
      CONFIG,
      '--output-type',
      reporter,
    ],
    { cwd, stdout: 'pipe', stderr: 'pipe' },
  )
}

/** The violations dependency-cruiser reports for `cwd`'s src/. */
function violationsIn(cwd: string): Violation[] {
  const run = depcruise(cwd, 'json')
  const text = run.stdout.toString()
  if (!text.startsWith('{')) throw new Error(`depcruise printed no report: ${run.stderr.toString()}`)
  const report = JSON.parse(text) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] }
  }
  return report.summary.violations.map(({ rule, from, to }) => ({ rule: rule.name, from, to }))
}

const key = (violation: Violation) => `${violation.rule}: ${violation.from} → ${violation.to}`

describe('the layering rules', () => {
  test('src/ keeps them', () => {
    expect(violationsIn(ROOT).map(key)).toEqual([])
  })

  // A tree that breaks every rule once, next to imports the rules allow, to prove each rule bites
  // exactly where it should.
  const fixture = tempDir('openruntime-layering-')
  afterAll(fixture.cleanup)
  const files: Record<string, string> = {
    'src/domain.ts':
      "import { invalid } from './errors'\nimport { run } from './tasks/service'\nexport const STATUSES = [invalid, run]\nexport type Status = string\n",
    'src/errors.ts': 'export const invalid = 1\n',
    'src/app.ts': "import { route } from './routes/route'\nexport const app = route\n",
    'src/storage/store.ts':
      "import { run } from '../tasks/service'\nexport const store = run\nexport type Row = { id: string }\n",
    'src/events/event-bus.ts':
      "import { run } from '../tasks/service'\nexport type Change = { id: string }\nexport const bus = run\n",
    'src/events/live-stream.ts': 'export const stream = 1\n',
    'src/tasks/service.ts': 'export const run = 1\nexport type Shape = { id: string }\n',
    'src/tasks/lifecycle.ts': 'export type Lifecycle = { id: string }\n',
    'src/tasks/renders.ts':
      "import { view } from '../views/page'\nimport { route } from '../routes/route'\nexport const rendered = [view, route]\n",
    // Allowed: services, live-stream, domain types; refused: the store, and the bus even for a type.
    'src/routes/route.ts':
      "import type { Status } from '../domain'\nimport { stream } from '../events/live-stream'\nimport type { Change } from '../events/event-bus'\nimport { store } from '../storage/store'\nimport { run } from '../tasks/service'\nimport { view } from '../views/page'\nexport const route: [Status?, Change?] = []\nexport const used = [stream, store, run, view]\n",
    // Allowed: types of tasks/ in both spellings, other views; refused: behaviour of tasks/, storage types.
    'src/views/page.ts':
      "import type { Row } from '../storage/store'\nimport type { Shape } from '../tasks/service'\nimport { type Lifecycle } from '../tasks/lifecycle'\nimport { part } from './part'\nexport const view: [Row?, Shape?, Lifecycle?] = [part]\n",
    'src/views/part.ts': "import { run } from '../tasks/service'\nexport const part = run\n",
    'src/machines/machine.ts':
      "import { setup } from 'xstate'\nimport type { Status } from '../domain'\nimport { STATUSES } from '../domain'\nimport { store } from '../storage/store'\nexport const machine: [Status?] = [setup, STATUSES, store]\n",
    'src/git/repo.ts': "import { store } from '../storage/store'\nexport const repo = store\n",
    'src/policy/a.ts':
      "import { run } from '../tasks/service'\nimport { b } from './b'\nexport const a = [run, b]\n",
    'src/policy/b.ts': "import type { a } from './a'\nexport const b: typeof a | null = null\n",
    'src/lifecycle/unit.ts': "import { work } from '../workers/worker'\nexport const unit = work\n",
    'src/workers/worker.ts': "import { run } from '../tasks/service'\nexport const work = run\n",
    'src/queue/dispatch.ts':
      "import type { Shape } from '../tasks/service'\nexport const dispatch: Shape | null = null\n",
    'src/workers/executors/shell.ts':
      "import { store } from '../../storage/store'\nexport const shell = store\n",
    'src/process/group.ts': "import { work } from '../workers/worker'\nexport const group = work\n",
    'src/integrations/forge.ts': "import { repo } from '../git/repo'\nexport const forge = repo\n",
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(fixture.path, path)), { recursive: true })
    writeFileSync(join(fixture.path, path), text)
  }
  copyFileSync(join(ROOT, 'tsconfig.json'), join(fixture.path, 'tsconfig.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(fixture.path, 'node_modules'))

  test('each rule refuses the import it names, and only that', () => {
    expect(violationsIn(fixture.path).map(key).sort()).toEqual(
      [
        'no-circular: src/policy/a.ts → src/policy/b.ts',
        'routes-only-via-services: src/routes/route.ts → src/events/event-bus.ts',
        'routes-only-via-services: src/routes/route.ts → src/storage/store.ts',
        'views-only-from-routes: src/tasks/renders.ts → src/views/page.ts',
        'views-know-no-storage: src/views/page.ts → src/storage/store.ts',
        'views-render-only: src/views/part.ts → src/tasks/service.ts',
        'routes-only-from-the-app: src/tasks/renders.ts → src/routes/route.ts',
        'machines-are-pure: src/machines/machine.ts → src/storage/store.ts',
        'machines-take-only-domain-types: src/machines/machine.ts → src/domain.ts',
        'storage-knows-no-callers: src/storage/store.ts → src/tasks/service.ts',
        'git-knows-no-callers: src/git/repo.ts → src/storage/store.ts',
        'policy-knows-no-callers: src/policy/a.ts → src/tasks/service.ts',
        'shared-shapes-at-the-bottom: src/domain.ts → src/tasks/service.ts',
        'events-below-services: src/events/event-bus.ts → src/tasks/service.ts',
        'lifecycle-below-services: src/lifecycle/unit.ts → src/workers/worker.ts',
        'workers-below-services: src/workers/worker.ts → src/tasks/service.ts',
        'workers-below-services: src/queue/dispatch.ts → src/tasks/service.ts',
        'executors-have-no-store: src/workers/executors/shell.ts → src/storage/store.ts',
        'process-supervision-stands-alone: src/process/group.ts → src/workers/worker.ts',
        'integrations-know-no-callers: src/integrations/forge.ts → src/git/repo.ts',
      ].sort(),
    )
  })

  test('a violation fails the check as `bun run lint` runs it', () => {
    const run = depcruise(fixture.path, 'err')
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout.toString()).toContain(
      'error routes-only-via-services: src/routes/route.ts → src/storage/store.ts',
    )
  })
})

/**
 * The layering of src/, checked by `bun run lint` (and by tests/unit/layering.test.ts):
 *
 *   routes/ (HTTP) → services (tasks/, workspaces/, …) → workers/, git/, policy/, storage/, events/
 *   views/ render for routes/ only; machines/ are pure; storage/ and git/ know no callers.
 *
 * Folders named here that do not exist yet (models/, lifecycle/, process/, workers/executors/) are
 * the target layout of issue 12: the rules hold for them as soon as they land.
 */

/** Paths of src/ folders (and top-level files) as dependency-cruiser names them. */
const dir = (name) => `^src/${name}/`
const file = (name) => `^src/${name}\\.tsx?$`
const anyOf = (...patterns) => `(${patterns.join('|')})`

// Shared shapes every layer may use: the wire vocabulary and the schema-first models.
const DOMAIN = anyOf(file('domain'), dir('models'))

// Wherever the package manager put it (a hoisted node_modules, bun's isolated store, a link).
const XSTATE = '(^|/)node_modules/xstate/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycle anywhere in src/ (type-only imports included: a cycle of shapes is still one).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'routes-only-via-services',
      severity: 'error',
      comment:
        'Routes speak HTTP and call services: never the store, the event bus or the event log (not even for a type; shared shapes come from domain/models or the service that returns them).',
      from: { path: dir('routes') },
      to: { path: anyOf(dir('storage'), '^src/events/event-(bus|log)\\.ts$') },
    },
    {
      name: 'views-only-from-routes',
      severity: 'error',
      comment: 'Views render what routes hand them; nothing else renders HTML.',
      from: { pathNot: anyOf(dir('routes'), dir('views')) },
      to: { path: dir('views') },
    },
    {
      name: 'views-know-no-storage',
      severity: 'error',
      comment: 'Views render the shapes the services return (or domain/models), never storage rows.',
      from: { path: dir('views') },
      to: { path: dir('storage') },
    },
    {
      name: 'views-render-only',
      severity: 'error',
      comment:
        'Views take the shapes routes pass in: of tasks/, workers/, the lifecycle and process supervision they may name types, never behaviour.',
      from: { path: dir('views') },
      to: {
        path: anyOf(dir('tasks'), dir('workers'), dir('lifecycle'), dir('process')),
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'routes-only-from-the-app',
      severity: 'error',
      comment: 'Only the HTTP application (app.ts) and the process entry (server.ts) know the routes.',
      from: { path: '^src/', pathNot: anyOf(dir('routes'), file('app'), file('server')) },
      to: { path: dir('routes') },
    },
    {
      name: 'machines-are-pure',
      severity: 'error',
      comment: 'State machines import nothing but xstate, each other and the domain types.',
      from: { path: dir('machines') },
      to: { pathNot: anyOf(dir('machines'), DOMAIN, XSTATE) },
    },
    {
      name: 'machines-take-only-domain-types',
      severity: 'error',
      comment: 'Of the domain, a machine needs the types only.',
      from: { path: dir('machines') },
      to: { path: DOMAIN, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'storage-knows-no-callers',
      severity: 'error',
      comment: 'Storage is the only place with SQL and serves the layers above it without knowing them.',
      from: { path: dir('storage') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('views')) },
    },
    {
      name: 'git-knows-no-callers',
      severity: 'error',
      comment: 'git/ owns git and knows nothing of tasks, runs, HTTP or the database.',
      from: { path: dir('git') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('views'), dir('storage')) },
    },
    {
      name: 'integrations-know-no-callers',
      comment: 'The forge CLIs (gh, glab) are driven for the services, never the other way round.',
      severity: 'error',
      from: { path: dir('integrations') },
      to: {
        path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('views'), dir('storage'), dir('git')),
      },
    },
    {
      name: 'policy-knows-no-callers',
      severity: 'error',
      comment: 'Policies are decided from their inputs alone: no tasks, runs, HTTP or database.',
      from: { path: dir('policy') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('views'), dir('storage')) },
    },
    {
      name: 'shared-shapes-at-the-bottom',
      severity: 'error',
      comment: 'The domain vocabulary and the models are what every layer shares: they import no layer.',
      from: { path: DOMAIN },
      to: { path: '^src/', pathNot: anyOf(DOMAIN, file('errors'), file('input-ranges')) },
    },
    {
      name: 'events-below-services',
      severity: 'error',
      comment: 'The event log, bus and streams serve the services and the runs without knowing them.',
      from: { path: dir('events') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('lifecycle'), dir('routes'), dir('views')) },
    },
    {
      name: 'lifecycle-below-services',
      severity: 'error',
      comment:
        'The unit of work (state, events, side records in one transaction) is used by the services and by the run coordinator in workers/, so it imports neither.',
      from: { path: dir('lifecycle') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('views')) },
    },
    {
      name: 'workers-below-services',
      severity: 'error',
      comment:
        'Runs and their queue are driven by the services (tasks/) and never call back into them, the routes or the views.',
      from: { path: anyOf(dir('workers'), dir('queue')) },
      to: { path: anyOf(dir('tasks'), dir('routes'), dir('views')) },
    },
    {
      name: 'hosts-below-services',
      severity: 'error',
      comment:
        'Runner hosts (registry, leases, the runner protocol and its commands) serve the task service and the routes like the runs do: they never call back into tasks/, the routes or the views.',
      from: { path: dir('hosts') },
      to: { path: anyOf(dir('tasks'), dir('routes'), dir('views')) },
    },
    {
      name: 'runner-host-has-no-control-plane-database',
      severity: 'error',
      comment:
        "The runner host process (src/runner-host/) runs tasks on another machine: it uses the executors, process supervision, policy, git and agents, and never the control plane's storage, lifecycle, routes, views, tasks or hosts services; it learns everything over the runner protocol.",
      from: { path: dir('runner-host') },
      to: {
        path: anyOf(
          dir('storage'),
          dir('lifecycle'),
          dir('routes'),
          dir('views'),
          dir('tasks'),
          dir('hosts'),
        ),
      },
    },
    {
      name: 'nothing-calls-the-runner-host',
      severity: 'error',
      comment: 'The control plane never imports the runner host process.',
      from: { pathNot: '^src/runner-host/' },
      to: { path: dir('runner-host') },
    },
    {
      name: 'nothing-below-calls-hosts',
      severity: 'error',
      comment: 'The runs, the queue, storage, git, policy and the events know nothing of runner hosts.',
      from: {
        path: anyOf(dir('workers'), dir('queue'), dir('storage'), dir('git'), dir('policy'), dir('events')),
      },
      to: { path: dir('hosts') },
    },
    {
      name: 'executors-have-no-store',
      severity: 'error',
      comment:
        'An executor builds a command and turns output into events and signals; the run coordinator records them.',
      from: { path: '^src/workers/executors/' },
      to: { path: anyOf(dir('storage'), dir('tasks')) },
    },
    {
      name: 'process-supervision-stands-alone',
      severity: 'error',
      comment: 'Process groups, stdin and stop know nothing of tasks, runs, HTTP or the database.',
      from: { path: dir('process') },
      to: { path: anyOf(dir('tasks'), dir('workers'), dir('routes'), dir('storage')) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (the rules above say where they are allowed).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}

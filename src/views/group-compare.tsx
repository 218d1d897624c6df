import { RUNNER_LABELS, type TaskGroupView, type VariantCompare, type VariantView } from '../domain'
import { type DiffLayout, renderDiff } from './diff-html'
import { count, dateTime, dollars, duration } from './format'
import { Layout } from './layout'
import { StatusBadge } from './status'
import { BackToRoster } from './task-page'

export interface CompareProps {
  group: TaskGroupView
  /** The two variants whose results are diffed, and the diff (null when there is none to show). */
  a: string | null
  b: string | null
  diff: VariantCompare | null
  /** Why there is no diff (a variant without a result yet), when there is none. */
  diffNote: string | null
  layout: DiffLayout
}

const label = (variant: VariantView) =>
  `#${variant.position} ${RUNNER_LABELS[variant.runner]}${variant.model ? ` (${variant.model})` : ''}`

const STATUS_WORD: Record<string, string> = {
  added: 'added',
  modified: 'modified',
  deleted: 'deleted',
  renamed: 'renamed',
}

/** A variant's latest checks and criteria in brief, e.g. "checks failed, 1/2 passed · criteria 2/3 met". */
function verdictText(verdicts: NonNullable<VariantView['verdicts']>): string {
  const checks = `checks ${verdicts.status}, ${verdicts.passed}/${verdicts.total} passed`
  return verdicts.graded > 0 ? `${checks} · criteria ${verdicts.met}/${verdicts.graded} met` : checks
}

/** Variants as columns: what each is, how it stands, what it cost and took, its verdicts, the pick. */
function VariantTable({ group }: { group: TaskGroupView }): JSX.Element {
  const pickable = group.pick === null && group.status !== 'running'
  const row = (heading: string, cell: (variant: VariantView) => JSX.Element | string) => (
    <tr>
      <th scope="row" safe>
        {heading}
      </th>
      {group.variants.map((variant) => (
        <td>{cell(variant)}</td>
      ))}
    </tr>
  )
  return (
    <table class="compare-table" id="variants">
      <caption class="visually-hidden">Variants</caption>
      <thead>
        <tr>
          <th scope="col">Variant</th>
          {group.variants.map((variant) => (
            <th scope="col" data-variant={variant.task_id}>
              <a href={`/tasks/${variant.task_id}/view`} safe>
                {label(variant)}
              </a>
              {group.pick?.task_id === variant.task_id ? <span class="tag">picked</span> : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {row('Status', (variant) =>
          variant.status ? (
            <StatusBadge status={variant.status} state={variant.state ?? undefined} />
          ) : (
            'deleted'
          ),
        )}
        {row('Cost', (variant) => dollars(variant.cost_cents))}
        {row('Time', (variant) => duration(variant.duration_ms))}
        {row('Tokens', (variant) => count(variant.tokens.input + variant.tokens.output))}
        {row('Changes', (variant) => (
          <span>
            <span safe>{`${count(variant.files.length)} files `}</span>
            <span class="add" safe>{`+${count(variant.additions)}`}</span>{' '}
            <span class="del" safe>{`−${count(variant.deletions)}`}</span>
          </span>
        ))}
        {row('Verdicts', (variant) =>
          variant.verdicts === null ? (
            <span class="muted">no checks ran</span>
          ) : (
            <span safe>{verdictText(variant.verdicts)}</span>
          ),
        )}
        {row('Archived', (variant) =>
          variant.archived ? 'yes (restorable)' : variant.merged ? 'merged' : 'no',
        )}
        {pickable
          ? row('Keep', (variant) =>
              variant.status === 'ready-for-review' ? <PickForm group={group} variant={variant} /> : '',
            )
          : ''}
      </tbody>
    </table>
  )
}

/** Pick is one action: merge this variant, archive the others. */
function PickForm({ group, variant }: { group: TaskGroupView; variant: VariantView }): JSX.Element {
  const note = `pick-note-${variant.position}`
  const strategy = `pick-strategy-${variant.position}`
  return (
    <form class="pick-form" hx-post={`/ui/task-groups/${group.id}/pick`} hx-target="#flash">
      <input type="hidden" name="task_id" value={variant.task_id} />
      <label for={strategy}>Merge as</label>
      <select id={strategy} name="strategy">
        <option value="apply">uncommitted changes</option>
        <option value="commit">one commit</option>
      </select>
      <label for={note}>Note</label>
      <input id={note} name="note" maxlength="10000" placeholder="why this one" />
      <button type="submit" class="primary" data-busy-label="Picking…" safe>
        {`Pick #${variant.position}`}
      </button>
    </form>
  )
}

/** Files as rows, variants as columns: who changed what (a file several changed is marked). */
function FileMatrix({ group }: { group: TaskGroupView }): JSX.Element {
  const paths = [
    ...new Set(group.variants.flatMap((variant) => variant.files.map((file) => file.path))),
  ].sort()
  const shared = new Set(group.shared_files.map((file) => file.path))
  if (paths.length === 0) return <p class="muted">No variant changed a file yet.</p>
  const byVariant = group.variants.map((variant) => new Map(variant.files.map((file) => [file.path, file])))
  return (
    <table class="compare-table files-matrix" id="files-matrix">
      <caption class="visually-hidden">Files changed by each variant</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          {group.variants.map((variant) => (
            <th scope="col" safe>
              {label(variant)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {paths.map((path) => (
          <tr data-path={path} class={shared.has(path) ? 'shared' : undefined}>
            <th scope="row">
              <code safe>{path}</code>
              {shared.has(path) ? <span class="tag">several</span> : ''}
            </th>
            {byVariant.map((files) => {
              const file = files.get(path)
              return file ? (
                <td>
                  <span safe>{STATUS_WORD[file.status] ?? file.status}</span>{' '}
                  <span class="add" safe>{`+${count(file.additions)}`}</span>{' '}
                  <span class="del" safe>{`−${count(file.deletions)}`}</span>
                </td>
              ) : (
                <td class="muted">
                  <span aria-hidden="true">—</span>
                  <span class="visually-hidden">unchanged</span>
                </td>
              )
            })}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Choose any two variants; their results are diffed directly. */
function DiffChooser({
  group,
  a,
  b,
  layout,
}: {
  group: TaskGroupView
  a: string | null
  b: string | null
  layout: DiffLayout
}) {
  const select = (name: 'a' | 'b', text: string, chosen: string | null) => (
    <label>
      <span safe>{text}</span>{' '}
      <select name={name}>
        {group.variants.map((variant) => (
          <option value={variant.task_id} selected={variant.task_id === chosen} safe>
            {label(variant)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <form class="compare-chooser" method="get" action={`/task-groups/${group.id}/view`}>
      {select('a', 'From', a)}
      {select('b', 'to', b)}
      <input type="hidden" name="layout" value={layout} />
      <button type="submit">Compare</button>
    </form>
  )
}

/** Everything below the page header; the pick's answer replaces it as a whole. */
export function CompareBody({ group, a, b, diff, diffNote, layout }: CompareProps): JSX.Element {
  return (
    <div id="compare" data-group-id={group.id} data-group-status={group.status}>
      <div class="summary-head">
        <h1 safe>{`Compare: ${group.title}`}</h1>
        <span class="badge" data-status={group.status} safe>
          {group.status}
        </span>
        {group.status === 'running' ? (
          <button type="button" hx-post={`/ui/task-groups/${group.id}/stop`} hx-target="#flash">
            Stop every variant
          </button>
        ) : (
          ''
        )}
      </div>
      {group.goal ? (
        <p class="goal" safe>
          {group.goal}
        </p>
      ) : (
        <p class="goal">
          <code safe>{group.command}</code>
        </p>
      )}
      {group.pick ? (
        <p class="ok" safe>
          {`Picked #${group.variants.find((variant) => variant.task_id === group.pick?.task_id)?.position ?? '?'}${group.pick.note ? `: ${group.pick.note}` : ''}. The others are archived and can be restored from their task pages.`}
        </p>
      ) : (
        ''
      )}
      <section class="panel" aria-labelledby="variants-h">
        <h2 id="variants-h">Variants</h2>
        <div class="table-scroll">
          <VariantTable group={group} />
        </div>
      </section>
      <section class="panel" aria-labelledby="matrix-h">
        <h2 id="matrix-h">Who changed what</h2>
        <div class="table-scroll">
          <FileMatrix group={group} />
        </div>
      </section>
      <section class="panel" aria-labelledby="diff-h">
        <div class="panel-head">
          <h2 id="diff-h">Between two variants</h2>
          <DiffChooser group={group} a={a} b={b} layout={layout} />
        </div>
        {diff === null ? (
          <p class="muted" safe>
            {diffNote ?? 'Choose two variants.'}
          </p>
        ) : !diff.has_changes ? (
          <p class="muted">Their results are the same.</p>
        ) : (
          <div id="diff" class="diff">
            {renderDiff(diff.patch, layout) as 'safe'}
          </div>
        )}
      </section>
    </div>
  )
}

/** The group's facts beside the comparison. */
function GroupDetails({ group }: { group: TaskGroupView }): JSX.Element {
  return (
    <aside id="inspector" class="pane inspector" tabindex="0" aria-label="Group details">
      <h2>Group</h2>
      <dl class="facts">
        <dt>Workspace</dt>
        <dd>
          <code safe>{group.workspace}</code>
        </dd>
        <dt>Created</dt>
        <dd safe>{dateTime(group.created_at)}</dd>
        <dt>Variants</dt>
        <dd safe>{String(group.variants.length)}</dd>
        <dt>Files changed by several</dt>
        <dd safe>{String(group.shared_files.length)}</dd>
      </dl>
    </aside>
  )
}

/** The compare view of a group, in the frame beside the roster. */
export function comparePage(props: CompareProps & { roster: JSX.Element }): string {
  const { roster, ...body } = props
  return (
    <Layout
      title={`Compare: ${props.group.title}`}
      scripts={['/assets/diff2html-ui-slim.min.js', '/assets/review.js']}
      roster={roster}
      inspector={<GroupDetails group={props.group} />}
      selected
    >
      <section id="task-pane" class="task-pane" aria-label="Compare variants">
        <BackToRoster />
        <CompareBody {...body} />
      </section>
    </Layout>
  ) as string
}

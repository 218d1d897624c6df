import { t } from 'elysia'
import { DISPATCH as F } from '../../views/names'
import { Uuid } from '../schemas'

/**
 * What the page routes take, declared like the API's: params, query strings and the forms the
 * pages post (urlencoded; a name sent twice arrives as a list and its last value counts). Fields
 * are text as the browser sends it; what a value means (a runner, a number in its range) is
 * checked where it is read, with the same messages as the API's.
 */
const Text = (maxLength: number) =>
  t.Optional(t.Union([t.String({ maxLength }), t.Array(t.String({ maxLength }), { maxItems: 20 })]))

// A form a page posts may have no body at all (a button outside a form).
const Form = <T extends Parameters<typeof t.Object>[0]>(fields: T) => t.Optional(t.Object(fields))

const FLAG = Text(5)
const NUMBER = Text(32)
const PATH = Text(4096)
// One entry per line, as many as the API's lists take (200 entries of up to 4096 characters).
const LINES = Text(200 * 4097)

/** The task list's filters; values the API would refuse are ignored (see parseFilters). */
export const TaskFiltersQuery = t.Object({
  status: t.Optional(t.String({ maxLength: 64 })),
  runner: t.Optional(t.String({ maxLength: 64 })),
  workspace: t.Optional(t.String({ maxLength: 4096 })),
  /** The task the page beside the roster shows (its entry is marked current). */
  selected: t.Optional(Uuid),
})

export const DispatchForm = Form({
  [F.title]: Text(500),
  [F.runner]: Text(64),
  [F.prompt]: Text(200_000),
  [F.command]: Text(100_000),
  [F.model]: Text(200),
  [F.attempts]: NUMBER,
  [F.variantRunners]: Text(2000),
  [F.workspace]: PATH,
  [F.budgetMinutes]: NUMBER,
  [F.costUsd]: NUMBER,
  [F.preset]: Text(64),
  [F.networkMode]: Text(64),
  [F.allowGitWrite]: FLAG,
  [F.allowSecrets]: FLAG,
  [F.requireApproval]: FLAG,
  [F.maxRuntimeMinutes]: NUMBER,
  [F.blockedCommands]: LINES,
  [F.allowedWorkspaces]: LINES,
  [F.allowedFileGlobs]: LINES,
  [F.allowedMcpTools]: LINES,
})

export const ReviewQuery = t.Object({ layout: t.Optional(t.String({ maxLength: 64 })) })

export const GroupParams = t.Object({ id: t.String({ format: 'uuid', description: 'group id' }) })

/** The compare view: the two variants to diff (the first two by default) and the diff's layout. */
export const CompareQuery = t.Object({
  a: t.Optional(t.String({ format: 'uuid' })),
  b: t.Optional(t.String({ format: 'uuid' })),
  layout: t.Optional(t.String({ maxLength: 64 })),
})

export const PickForm = Form({ task_id: Text(64), strategy: Text(16), note: Text(10_000) })

// An event seq as text: the route reads it with seqParam, whose message names the parameter.
const SEQ = t.Optional(t.String({ maxLength: 64 }))

/** The older page of a timeline: the events before this seq. */
export const OlderEventsQuery = t.Object({ before: SEQ })

/** The live timeline: events after this seq (Last-Event-ID, when the browser reconnects, wins). */
export const TimelineQuery = t.Object({ after: SEQ })

export const ActionParams = t.Object({ id: Uuid, action: t.String({ maxLength: 64 }) })

/** Every task action's form: what reply, merge, cleanup, delete and the review's comments, update and push read. */
export const ActionForm = Form({
  message: Text(100_000),
  strategy: Text(16),
  force: FLAG,
  reason: Text(2000),
  path: PATH,
  side: Text(8),
  line: NUMBER,
  body: Text(20_000),
  comment: Text(64),
  mode: Text(16),
  note: Text(10_000),
  remote: Text(200),
  branch: Text(200),
})

export const ApprovalParams = t.Object({
  id: Uuid,
  approval: t.String({ format: 'uuid', description: 'approval id' }),
})

export const ApprovalForm = Form({ allow: FLAG, message: Text(10_000) })

export const RegisterWorkspaceForm = Form({ path: PATH })

/** The workspace switcher posts the dispatch form it belongs to; its own field is `workspace`. */
export const CurrentWorkspaceForm = Form({ [F.workspace]: PATH })

export const BrowseQuery = t.Object({ path: t.Optional(t.String({ maxLength: 4096 })) })

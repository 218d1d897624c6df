import { type Static, Type } from '@sinclair/typebox'
import { AttemptRecordSchema } from './attempt'
import { CostLedgerSchema } from './cost-ledger'
import { JsonObjectSchema, MAX_EVENT_JSON_BYTES, MAX_LINE_CHARS } from './event'
import { RunnerLabelsSchema } from './runner-host-labels'
import { Nullable, StringEnum } from './schema-kit'
import { EventKindSchema, RUNNERS } from './vocabulary'

export const RUNNER_HOST_STATUSES = ['pending', 'online', 'lost', 'revoked'] as const
export const RunnerHostStatusSchema = StringEnum(RUNNER_HOST_STATUSES, 'runner host status')
export type RunnerHostStatus = Static<typeof RunnerHostStatusSchema>

const RunnerVersionSchema = Type.Object(
  { version: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)

/** What a host can run, by runner, with the version it found (a runner it lacks is absent). */
export const HostRunnersSchema = Type.Object(
  {
    shell: Type.Optional(RunnerVersionSchema),
    'claude-code': Type.Optional(RunnerVersionSchema),
    codex: Type.Optional(RunnerVersionSchema),
  },
  { additionalProperties: false },
)
export type HostRunners = Static<typeof HostRunnersSchema>
export const HOST_RUNNERS = RUNNERS

export const HostNameSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'the host name: letters, digits and . _ - (at most 100)',
})

/** A runner host as stored (its token only as a hash, never here). */
export const RunnerHostRecordSchema = Type.Object({
  id: Type.String(),
  name: HostNameSchema,
  /** The first characters of its token, to tell tokens apart (never enough to use one). */
  token_prefix: Type.String(),
  /** Labels the user gave it and those it reported, together: what placement matches against. */
  labels: Type.Array(Type.String()),
  runners: HostRunnersSchema,
  /** Whether it runs attempts in a sandbox; null until it registered. */
  sandbox: Nullable(Type.Boolean()),
  slots: Type.Integer(),
  slots_in_use: Type.Integer(),
  status: RunnerHostStatusSchema,
  registered_at: Nullable(Type.String()),
  last_heartbeat_at: Nullable(Type.String()),
  revoked_at: Nullable(Type.String()),
  created_at: Type.String(),
})
export type RunnerHostRecord = Static<typeof RunnerHostRecordSchema>

/** A host as the API shows it: the record and the attempts running on it now. */
export const RunnerHostViewSchema = Type.Composite([
  RunnerHostRecordSchema,
  Type.Object({ running_attempts: Type.Array(AttemptRecordSchema) }),
])
export type RunnerHostView = Static<typeof RunnerHostViewSchema>

export const CreateRunnerHostBodySchema = Type.Object(
  { name: HostNameSchema, labels: Type.Optional(RunnerLabelsSchema) },
  { additionalProperties: false },
)
export type CreateRunnerHostBody = Static<typeof CreateRunnerHostBodySchema>

/** The answer to a create: the host and its token, which is never shown again. */
export const CreatedRunnerHostSchema = Type.Composite([
  RunnerHostViewSchema,
  Type.Object({ token: Type.String({ description: 'the runner token; shown only in this answer' }) }),
])

const Slots = Type.Integer({ minimum: 0, maximum: 1024 })
const AttemptId = Type.String({ minLength: 1, maxLength: 100 })

export const RegisterBodySchema = Type.Object(
  {
    runners: HostRunnersSchema,
    sandbox: Type.Boolean(),
    slots: Slots,
    labels: RunnerLabelsSchema,
    attempts: Type.Optional(
      Type.Array(AttemptId, {
        maxItems: 1024,
        description:
          'the attempts the host still holds (running, or with a report to deliver); any other of its attempts the control plane counts as running is failed: the host restarted without it',
      }),
    ),
  },
  { additionalProperties: false },
)
export type RegisterBody = Static<typeof RegisterBodySchema>

export const HeartbeatBodySchema = Type.Object(
  { slots_in_use: Slots, attempts: Type.Array(AttemptId, { maxItems: 1024 }) },
  { additionalProperties: false },
)
export type HeartbeatBody = Static<typeof HeartbeatBodySchema>

export const ClaimBodySchema = Type.Object(
  {
    task_id: Type.String({ format: 'uuid', description: 'the queued task' }),
    run: Type.Integer({ minimum: 1, description: 'which start of the task (the job names it)' }),
  },
  { additionalProperties: false },
)
export type ClaimBody = Static<typeof ClaimBodySchema>

/**
 * The body limit of the events route: a batch with the largest event a run stores (it travels
 * alone), where every other route keeps the API's 2 MiB. What a local run stores, a remote one can.
 */
export const RUNNER_EVENTS_BODY_BYTES = MAX_EVENT_JSON_BYTES + 1024 * 1024

/** One event as a runner host sends it; the control plane gives it the task's seq. */
export const RunnerEventSchema = Type.Object(
  {
    kind: EventKindSchema,
    // The longest message a local run can store: anything it keeps is taken from a host too.
    message: Type.String({ maxLength: MAX_LINE_CHARS }),
    metadata: Type.Optional(Nullable(JsonObjectSchema)),
    at: Type.Optional(Type.String({ maxLength: 64, description: 'when the host saw it (kept in metadata)' })),
  },
  { additionalProperties: false },
)
export type RunnerEvent = Static<typeof RunnerEventSchema>

/** An agent session id as a runner host may report it. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/

const Text = (maxLength: number) => Type.String({ maxLength })
const ApprovalId = Type.String({ format: 'uuid', description: "the approval's id, made by the host" })

/**
 * What an agent on a host told its run that the control plane must act on (the task's state, its
 * session, its ledger, its tool approvals), in the order it happened among the events.
 */
export const RunnerSignalSchema = Type.Union([
  Type.Object(
    {
      type: Type.Literal('session'),
      // It ends up in the terminal command that resumes the session: nothing a shell would read.
      session_id: Type.String({ pattern: SESSION_ID_PATTERN.source, description: 'the agent session id' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('needs-input'), reason: Text(10_000), metadata: JsonObjectSchema },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('resume'), why: Text(1000) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('charge'), delta: Type.Partial(CostLedgerSchema, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('approval-request'),
      approval_id: ApprovalId,
      request_id: Type.String({ minLength: 1, maxLength: 500 }),
      tool: Type.String({ minLength: 1, maxLength: 500 }),
      input: Type.Unknown(),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('approval-closed'),
      approval_id: ApprovalId,
      status: StringEnum(['allowed', 'denied', 'expired'], 'how the approval ended on the host'),
      by: Text(200),
      message: Nullable(Text(10_000)),
    },
    { additionalProperties: false },
  ),
])
export type RunnerSignal = Static<typeof RunnerSignalSchema>

/** A signal in the attempt's sequence: it takes a runner seq like an event, and is applied once. */
export const RunnerSignalItemSchema = Type.Object(
  { signal: RunnerSignalSchema, at: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
)
export type RunnerSignalItem = Static<typeof RunnerSignalItemSchema>

/** One entry of an attempt's sequence: an event for its timeline, or a signal. */
export const RunnerItemSchema = Type.Union([RunnerEventSchema, RunnerSignalItemSchema])
export type RunnerItem = Static<typeof RunnerItemSchema>

export const EventBatchBodySchema = Type.Object(
  {
    from: Type.Integer({ minimum: 1, description: "the runner's seq of the first event" }),
    events: Type.Array(RunnerItemSchema, { minItems: 1, maxItems: 5000 }),
  },
  { additionalProperties: false },
)
export type EventBatchBody = Static<typeof EventBatchBodySchema>

/** How an attempt ended on its host. */
export const OutcomeBodySchema = Type.Object(
  {
    exit_status: Type.String({ maxLength: 200, description: 'how the process ended, e.g. "exit code 0"' }),
    exit_code: Nullable(Type.Integer({ description: 'null when a signal ended it' })),
    summary: Type.String({ maxLength: 2000 }),
    has_changes: Type.Boolean({ description: 'whether the worktree snapshot differs from the base commit' }),
    diff_stat: Type.Optional(Nullable(Type.String({ maxLength: 100_000 }))),
    stopped: Type.Optional(Type.Boolean({ description: 'ended because the host was told to stop it' })),
    runtime_millis: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)
export type OutcomeBody = Static<typeof OutcomeBodySchema>

/** `discard`: the task's worktree on the host goes (its work is archived on the control plane). */
export const CONTROL_TYPES = ['stop', 'reply', 'approval', 'discard'] as const
export const ControlTypeSchema = StringEnum(CONTROL_TYPES, 'control command type')
export type ControlType = Static<typeof ControlTypeSchema>

/** A command for a runner host about one of its attempts, until it acknowledges it. */
export const ControlCommandSchema = Type.Object({
  id: Type.Integer(),
  attempt_id: Type.String(),
  type: ControlTypeSchema,
  payload: JsonObjectSchema,
  created_at: Type.String(),
})
export type ControlCommand = Static<typeof ControlCommandSchema>

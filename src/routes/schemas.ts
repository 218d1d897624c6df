import { t } from 'elysia'
import {
  CreateTaskBodySchema,
  EffectivePolicySchema,
  RunnerSchema,
  TASK_STATUSES,
  TaskDiffViewSchema,
  TaskEventSchema,
  TaskViewSchema,
  wire,
} from '../models'

/** The API's schemas: the models (src/models) as the document states them, and the HTTP-only parts. */

export const Runner = RunnerSchema

export const Uuid = t.String({ format: 'uuid', description: 'task id (UUID)' })
export const TaskParams = t.Object({ id: Uuid })

export const CreateTaskBody = CreateTaskBodySchema
export const Policy = wire(EffectivePolicySchema)
export const Event = TaskEventSchema
export const Task = wire(TaskViewSchema)
export const TaskDiff = TaskDiffViewSchema

const statusWord = `(${TASK_STATUSES.join('|')})`
export const StatusListQuery = t.String({
  pattern: `^${statusWord}(,${statusWord})*$`,
  description: 'comma-separated statuses',
})

export const ErrorResponse = t.Object({
  error: t.Object({
    code: t.String(),
    message: t.String(),
    details: t.Optional(t.Record(t.String(), t.Unknown())),
  }),
})

export const EventsEmbedQuery = t.Optional(
  t.String({
    pattern: '^(none|all|[0-9]{1,6})$',
    description: 'embedded events: none, all, or the newest N (default 100)',
  }),
)

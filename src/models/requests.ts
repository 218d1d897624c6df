import { CloneType, type Static, Type } from '@sinclair/typebox'
import { PolicyInputSchema } from './policy'
import { Nullable } from './schema-kit'
import { BudgetMinutes, ModelName, TaskRecordSchema } from './task'
import { VariantsSchema } from './task-group'

const { title, prompt, runner, command, workspace, runner_labels, checks, criteria } =
  TaskRecordSchema.properties

/**
 * `POST /tasks`: the task's own fields, each with its model's type and range, bounded in length
 * (what a request may carry); a field the model does not have is refused. Null means absent.
 */
export const CreateTaskBodySchema = Type.Object(
  {
    title: CloneType(title, { maxLength: 500 }),
    prompt: CloneType(prompt, { maxLength: 200_000 }),
    runner,
    command: Type.Optional(Nullable(CloneType(command, { maxLength: 100_000 }))),
    model: Type.Optional(
      Nullable(
        CloneType(ModelName, {
          maxLength: 200,
          description: 'the model an agent runner uses (its default when absent)',
        }),
      ),
    ),
    workspace: Type.Optional(Nullable(CloneType(workspace, { maxLength: 4096 }))),
    budget_minutes: Type.Optional(Nullable(BudgetMinutes)),
    policy: Type.Optional(Nullable(PolicyInputSchema)),
    runner_labels: Type.Optional(
      CloneType(runner_labels, {
        description: 'labels a runner host must have to run it (default none: it runs here)',
      }),
    ),
    variants: Type.Optional(VariantsSchema),
    checks: Type.Optional(
      CloneType(checks, { description: "checks run after each attempt with changes, after the workspace's" }),
    ),
    criteria: Type.Optional(
      CloneType(criteria, { description: 'acceptance criteria a reviewer run grades the diff against' }),
    ),
  },
  { additionalProperties: false },
)
export type CreateTaskBody = Static<typeof CreateTaskBodySchema>

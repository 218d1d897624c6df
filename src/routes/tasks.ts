import { Elysia, t } from 'elysia'
import type { RunnerKind, TaskStatus } from '../domain'
import { decodeCursor, parseEventsEmbed } from './pagination'
import { answerResponse } from './reads/answers'
import type { Reader } from './reads/reader'
import {
  CreateTaskBody,
  ErrorResponse,
  Event,
  EventsEmbedQuery,
  Runner,
  StatusListQuery,
  Task,
  TaskParams,
} from './schemas'
import type { Services } from './services'
import { TaskGroup } from './task-groups'
import { uncheckedJson } from './unchecked-json'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }

/** The task API: create, list, inspect, and drive tasks through their lifecycle. */
export function taskRoutes(services: Services, reads: Reader) {
  const { tasks, groups } = services
  return new Elysia({ name: 'task-routes', tags: ['tasks'] })
    .get(
      '/tasks',
      async ({ query }) =>
        answerResponse(
          await reads.answer({
            kind: 'task-list',
            query: {
              limit: query.limit ?? 50,
              after: query.cursor ? decodeCursor(query.cursor) : undefined,
              status: query.status?.split(',') as TaskStatus[] | undefined,
              workspace: query.workspace,
              runner: query.runner as RunnerKind | undefined,
            },
            embed: parseEventsEmbed(query.events),
          }),
        ),
      {
        query: t.Object({
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
          cursor: t.Optional(t.String({ maxLength: 512 })),
          status: t.Optional(StatusListQuery),
          workspace: t.Optional(t.String({ maxLength: 4096 })),
          runner: t.Optional(Runner),
          events: EventsEmbedQuery,
        }),
        response: { 200: t.Array(Task), 400: ErrorResponse },
        detail: {
          summary: 'List tasks, newest activity first',
          description:
            'Paginated (default 50). The next page is named by the `x-next-cursor` header (also a `Link: rel="next"`). Each task embeds its newest events (default 100).',
        },
      },
    )
    .post(
      '/tasks',
      async ({ body }) => {
        if (body.variants !== undefined) return groups.view((await groups.create(body)).id)
        const task = await tasks.create({
          title: body.title,
          prompt: body.prompt,
          runner: body.runner,
          command: body.command ?? undefined,
          model: body.model ?? undefined,
          workspace: body.workspace ?? undefined,
          budget_minutes: body.budget_minutes ?? undefined,
          policy: body.policy ?? undefined,
          runner_labels: body.runner_labels,
          checks: body.checks,
          criteria: body.criteria,
        })
        return tasks.view(task.id, 'all')
      },
      {
        body: CreateTaskBody,
        response: { 200: t.Union([Task, TaskGroup]), 400: ErrorResponse, 403: ErrorResponse },
        detail: {
          summary: 'Create a task (status queued; nothing runs until it is started), or a group of variants',
          description:
            "403 naming the rule when the task's own policy refuses its command (or an agent's prompt); nothing is stored. With `variants`, one task per variant is created in a new group, all or none, and the answer is the group (GET /task-groups/{id}); POST /task-groups/{id}/start starts them.",
        },
      },
    )
    .get(
      '/tasks/:id',
      ({ params, query }) => uncheckedJson(tasks.viewJson(params.id, parseEventsEmbed(query.events))),
      {
        params: TaskParams,
        query: t.Object({ events: EventsEmbedQuery }),
        response: { 200: Task, ...errors },
        detail: { summary: 'One task with its attempts and newest events' },
      },
    )
    .delete(
      '/tasks/:id',
      async ({ params, query }) => {
        await tasks.delete(params.id, query.force === 'true')
        return { deleted: params.id }
      },
      {
        params: TaskParams,
        query: t.Object({ force: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])) }),
        response: { 200: t.Object({ deleted: t.String() }), ...errors },
        detail: {
          summary: 'Delete a task and its events',
          description:
            'Refused while it runs, and while its worktree holds unmerged changes unless force=true.',
        },
      },
    )
    .get(
      '/tasks/:id/events',
      ({ params, query }) => tasks.events(params.id, query.after ?? 0, query.limit ?? 1000),
      {
        params: TaskParams,
        query: t.Object({
          after: t.Optional(
            t.Integer({ minimum: 0, description: 'return events with seq greater than this' }),
          ),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })),
        }),
        response: { 200: t.Array(Event), ...errors },
        detail: { summary: 'Page through a task timeline in seq order' },
      },
    )
    .post('/tasks/:id/start', async ({ params }) => tasks.view((await tasks.start(params.id)).id, 100), {
      params: TaskParams,
      response: { 200: Task, ...errors, 403: ErrorResponse, 412: ErrorResponse },
      detail: { summary: 'Start or restart a task; it waits in queued until a runner slot is free' },
    })
    .post('/tasks/:id/stop', async ({ params }) => tasks.view((await tasks.stop(params.id)).id, 100), {
      params: TaskParams,
      response: { 200: Task, ...errors },
      detail: { summary: 'Stop a queued or running task (SIGTERM to its process group, then SIGKILL)' },
    })
    .post(
      '/tasks/:id/approve',
      async ({ params, body }) =>
        tasks.view(
          (await tasks.approve(params.id, { note: body?.note ?? undefined, start: body?.start ?? undefined }))
            .id,
          100,
        ),
      {
        params: TaskParams,
        body: t.Optional(
          t.Object(
            {
              note: t.Optional(t.Union([t.String({ maxLength: 10_000 }), t.Null()])),
              start: t.Optional(t.Union([t.Boolean(), t.Null()])),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Task, ...errors, 412: ErrorResponse },
        detail: { summary: 'Approve a task held at the approval gate (and start it unless start=false)' },
      },
    )
    .post(
      '/tasks/:id/reply',
      async ({ params, body }) => tasks.view((await tasks.reply(params.id, body.message)).id, 100),
      {
        params: TaskParams,
        body: t.Object({ message: t.String({ maxLength: 100_000 }) }, { additionalProperties: false }),
        response: { 200: Task, ...errors, 403: ErrorResponse, 412: ErrorResponse },
        detail: {
          summary: 'Answer a task',
          description:
            'A running shell gets the reply on its stdin as a line; a running agent as its next turn (queued until the current turn ends); an agent whose process has ended continues its session in a new attempt.',
        },
      },
    )
}

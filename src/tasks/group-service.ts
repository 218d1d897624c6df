import { randomUUID } from 'node:crypto'
import {
  type CreateTaskBody,
  type GroupVariant,
  now,
  type PickBody,
  type TaskGroupRecord,
  type TaskGroupSummary,
  type TaskGroupView,
  type TaskView,
  type VariantCompare,
  type VariantSpec,
} from '../domain'
import { AppError, conflict, invalid, notFound } from '../errors'
import { getPreset } from '../policy'
import type { Store } from '../storage/store'
import { variantView } from './group-view'
import type { ReviewService } from './review-service'
import type { CreateTaskInput, PreparedTask, TaskService } from './task-service'

export interface GroupServiceDeps {
  store: Store
  tasks: TaskService
  review: ReviewService
}

/** A variant's outcome in an action on the whole group (stop, reply): done, or why not. */
export interface VariantOutcome {
  task_id: string
  ok: boolean
  error: { code: string; message: string } | null
}

const ACTIVE = new Set(['running', 'needs-input'])

/**
 * Groups of variants: one goal tried several ways, each variant an ordinary task (its own
 * worktree, lifecycle, attempts and review). The group adds what spans them: creating them
 * together, their comparison, actions on all of them, and the pick that merges one and archives
 * the others (each through the review service, with a merge's and a cleanup's guarantees).
 */
export class GroupService {
  /** Groups whose pick runs in this process: a `picking` group not in here was left by a crash. */
  private readonly picking = new Set<string>()

  constructor(private readonly deps: GroupServiceDeps) {}

  /** Checks and builds every variant first; the group and all its tasks are stored together or not at all. */
  async create(body: CreateTaskBody): Promise<TaskGroupRecord> {
    const { variants: requested, ...base } = body
    if (requested === undefined) throw invalid('variants: required for a group')
    const specs: VariantSpec[] =
      typeof requested === 'number'
        ? Array.from({ length: requested }, () => ({ runner: base.runner, model: base.model }))
        : requested
    const id = randomUUID()
    const prepared = await Promise.all(
      specs.map((spec, index) => this.prepareVariant(id, base, spec, index, specs.length)),
    )
    const at = now()
    const group: TaskGroupRecord = {
      id,
      title: base.title.trim(),
      goal: base.prompt.trim(),
      command: (base.command ?? '').trim(),
      workspace: prepared[0]?.task.workspace ?? '',
      variants: prepared.map(({ task }, index) => ({
        task_id: task.id,
        runner: task.runner,
        model: task.model ?? null,
        prompt_suffix: specs[index]?.prompt_suffix?.trim() || null,
        policy_preset: specs[index]?.policy_preset ?? null,
        result_tree: null,
      })),
      pick_state: null,
      picked_task_id: null,
      pick_strategy: null,
      pick_note: null,
      picked_at: null,
      created_at: at,
      updated_at: at,
    }
    this.deps.tasks.createAll(prepared, () => this.deps.store.groups.insert(group))
    return group
  }

  private async prepareVariant(
    groupId: string,
    base: CreateTaskInput,
    spec: VariantSpec,
    index: number,
    count: number,
  ): Promise<PreparedTask> {
    const field = `variants.${index}`
    const suffix = spec.prompt_suffix?.trim() ?? ''
    const withSuffix = (text: string) => (suffix === '' ? text : `${text.trim()}\n${suffix}`)
    let policy = base.policy
    if (spec.policy_preset) {
      const preset = getPreset(spec.policy_preset)
      if (!preset || preset.id === 'custom')
        throw invalid(`${field}.policy_preset: unknown permission preset "${spec.policy_preset}"`)
      // The preset decides the permissions; the request's budgets still apply.
      policy = { ...preset.policy, budget_cents: base.policy?.budget_cents ?? preset.policy.budget_cents }
    }
    // A model belongs to its runner: a variant of another runner than the request's gets its own or the default.
    const model = spec.model !== undefined ? spec.model : spec.runner === base.runner ? base.model : null
    const input: CreateTaskInput = {
      ...base,
      title: `${base.title.trim()} · variant ${index + 1}/${count}`,
      runner: spec.runner,
      model,
      prompt: spec.runner === 'shell' ? base.prompt : withSuffix(base.prompt),
      command: spec.runner === 'shell' ? withSuffix(base.command ?? '') : base.command,
      policy,
    }
    try {
      return await this.deps.tasks.prepare(input, groupId)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      throw new AppError(error.kind, error.code, `${field} (${spec.runner}): ${error.message}`, error.details)
    }
  }

  get(id: string): TaskGroupRecord {
    const group = this.deps.store.groups.get(id)
    if (!group) throw notFound('task_group', id)
    return group
  }

  list(limit: number, offset: number): TaskGroupSummary[] {
    return this.summaries(this.deps.store.groups.list(limit, offset))
  }

  /** One group as the list shows it: its variants' states, without their changes. */
  summary(id: string): TaskGroupSummary {
    return this.summaries([this.get(id)])[0] as TaskGroupSummary
  }

  private summaries(groups: TaskGroupRecord[]): TaskGroupSummary[] {
    const tasks = new Map(
      this.deps.store.tasks.inGroups(groups.map((group) => group.id)).map((t) => [t.id, t]),
    )
    return groups.map((group) => {
      const variants = group.variants.map((variant) => ({
        task_id: variant.task_id,
        runner: variant.runner,
        model: variant.model,
        status: tasks.get(variant.task_id)?.status ?? null,
      }))
      return {
        id: group.id,
        title: group.title,
        workspace: group.workspace,
        created_at: group.created_at,
        status: groupStatus(group, variants),
        variants,
        picked_task_id: group.picked_task_id,
      }
    })
  }

  /**
   * The group resource: every variant's state, cost and changes, and the files several changed.
   * Each result is captured now (a live worktree read as files) and its tree kept with the group,
   * so an archived variant is still compared by the tree the server saw, never by a ref.
   */
  async view(id: string): Promise<TaskGroupView> {
    const group = this.get(id)
    const results = await this.results(group)
    const variants = group.variants.map((variant, index) =>
      variantView(variant, index, this.taskOf(variant.task_id), results.get(variant.task_id) ?? null),
    )
    const changedBy = new Map<string, string[]>()
    for (const variant of variants)
      for (const file of variant.files)
        changedBy.set(file.path, [...(changedBy.get(file.path) ?? []), variant.task_id])
    const shared_files = [...changedBy]
      .filter(([, ids]) => ids.length > 1)
      .map(([path, task_ids]) => ({ path, task_ids }))
      .sort((a, b) => a.path.localeCompare(b.path))
    return {
      id: group.id,
      title: group.title,
      goal: group.goal,
      command: group.command,
      workspace: group.workspace,
      created_at: group.created_at,
      status: groupStatus(group, variants),
      variants,
      shared_files,
      pick:
        group.pick_state && group.picked_task_id
          ? {
              state: group.pick_state,
              task_id: group.picked_task_id,
              strategy: group.pick_strategy,
              note: group.pick_note,
              picked_at: group.picked_at,
            }
          : null,
    }
  }

  /** The diff from variant a's result to variant b's, by the trees the server captured. */
  async compare(id: string, a: string, b: string, maxPatchBytes?: number): Promise<VariantCompare> {
    const group = this.get(id)
    const [left, right] = [this.variantOf(group, a, 'a'), this.variantOf(group, b, 'b')]
    const trees = await this.captureTrees(group, [left, right])
    const [aTree, bTree] = [trees.get(a) ?? left.result_tree, trees.get(b) ?? right.result_tree]
    for (const [name, variant, tree] of [
      ['a', left, aTree],
      ['b', right, bTree],
    ] as const) {
      if (!tree)
        throw conflict('no_result', `${name}: variant ${variant.task_id} has no result yet (it never ran)`)
    }
    const task = this.deps.tasks.get(a)
    const diff = await this.deps.review.diffResults(task, aTree as string, bTree as string, maxPatchBytes)
    return { group_id: id, a, b, a_tree: aTree as string, b_tree: bTree as string, ...diff }
  }

  /** Starts every variant never started yet (one that ran is restarted only on its own). */
  async start(id: string): Promise<VariantOutcome[]> {
    return this.each(
      this.get(id).variants,
      (task) => task.state === 'queued.draft',
      (taskId) => this.deps.tasks.start(taskId),
    )
  }

  /** Stops every variant that is queued or running. */
  async stop(id: string): Promise<VariantOutcome[]> {
    return this.each(
      this.get(id).variants,
      (task) => this.deps.tasks.can(task.id, { type: 'STOP' }),
      (taskId) => this.deps.tasks.stop(taskId),
    )
  }

  /** A reply to one variant, or to every variant that can take one (a live run, or an agent's session). */
  async reply(id: string, message: string, taskId?: string | null): Promise<VariantOutcome[]> {
    const group = this.get(id)
    const variants = taskId ? [this.variantOf(group, taskId, 'task_id')] : group.variants
    if (taskId) {
      await this.deps.tasks.reply(taskId, message)
      return [{ task_id: taskId, ok: true, error: null }]
    }
    if (message.trim() === '') throw invalid('message must not be blank')
    return this.each(
      variants,
      () => true,
      (variant) => this.deps.tasks.reply(variant, message),
    )
  }

  /**
   * Keeps one variant: merges it (conflicts refused with the target untouched, as a merge is),
   * then archives and removes the others' worktrees (restorable, as a cleanup is). The pick is
   * recorded before git acts; a second one is refused.
   */
  async pick(id: string, body: PickBody) {
    const group = this.get(id)
    const winner = this.variantOf(group, body.task_id, 'task_id')
    await this.settleLeftoverPick(group)
    const current = this.get(id)
    if (current.pick_state !== null)
      throw conflict(
        current.pick_state === 'picked' ? 'already_picked' : 'pick_in_progress',
        `group ${id} ${current.pick_state === 'picked' ? 'was already picked' : 'is being picked'}: variant ${current.picked_task_id}`,
        { picked_task_id: current.picked_task_id },
      )
    const others = group.variants.filter((variant) => variant !== winner)
    const busy = others.filter((variant) => this.isActive(variant.task_id))
    if (busy.length > 0)
      throw conflict(
        'variants_active',
        `cannot pick in group ${id} while variant(s) ${busy.map((variant) => variant.task_id).join(', ')} still run; stop the group or wait for them`,
        { task_ids: busy.map((variant) => variant.task_id) },
      )
    const strategy = body.strategy ?? 'apply'
    const note = body.note?.trim() || null
    if (!this.deps.store.groups.beginPick(id, winner.task_id, strategy, note, now()))
      throw conflict('pick_in_progress', `group ${id} is being picked`)
    this.picking.add(id)
    try {
      let merge: Awaited<ReturnType<ReviewService['merge']>>
      try {
        merge = await this.deps.review.merge(this.deps.tasks.get(winner.task_id), {
          strategy,
          message: body.message ?? undefined,
        })
      } catch (error) {
        this.deps.store.groups.abandonPick(id, now())
        throw error
      }
      this.deps.store.groups.completePick(id, now())
      const archived = await this.archiveOthers(this.get(id))
      return { group: await this.view(id), merge, archived }
    } finally {
      this.picking.delete(id)
    }
  }

  /**
   * A pick a previous server left half-done: if its winner merged, the pick stands (and the
   * others are archived now); if not, nothing was merged and the pick is open again.
   */
  private async settleLeftoverPick(group: TaskGroupRecord): Promise<void> {
    if (group.pick_state !== 'picking' || this.picking.has(group.id) || !group.picked_task_id) return
    const winner = this.deps.store.tasks.get(group.picked_task_id)
    if (winner?.worktree_merged_at) {
      this.deps.store.groups.completePick(group.id, now())
      await this.archiveOthers(this.get(group.id))
    } else if (!winner || !this.deps.tasks.can(winner.id, { type: 'MERGE_ROLLED_BACK' })) {
      // A merge still in its intent state is settled by the task's next operation, not here.
      this.deps.store.groups.abandonPick(group.id, now())
    }
  }

  /** The variants other than the winner whose worktree is still there: result captured, then cleaned up. */
  private async archiveOthers(group: TaskGroupRecord) {
    const others = group.variants.filter(
      (variant) => variant.task_id !== group.picked_task_id && this.taskOf(variant.task_id) !== null,
    )
    await this.captureTrees(group, others)
    const cleanable = others.filter((variant) =>
      this.deps.tasks.can(variant.task_id, { type: 'CLEANUP_BEGIN' }),
    )
    return Promise.all(
      cleanable.map(async (variant) => {
        try {
          const result = await this.deps.review.cleanup(this.deps.tasks.get(variant.task_id), true)
          return { task_id: variant.task_id, archive_ref: result.archive_ref, error: null }
        } catch (error) {
          return { task_id: variant.task_id, archive_ref: null, error: describe(error) }
        }
      }),
    )
  }

  private async results(group: TaskGroupRecord) {
    const trees = await this.captureTrees(group, group.variants)
    const results = new Map<string, Awaited<ReturnType<ReviewService['changesIn']>> & { tree: string }>()
    await Promise.all(
      group.variants.map(async (variant) => {
        const tree = trees.get(variant.task_id) ?? variant.result_tree
        const task = this.deps.store.tasks.get(variant.task_id)
        if (!tree || !task) return
        results.set(variant.task_id, { tree, ...(await this.deps.review.changesIn(task, tree)) })
      }),
    )
    return results
  }

  /** Each variant's result tree as it is now; the new ones are kept with the group. */
  private async captureTrees(group: TaskGroupRecord, variants: GroupVariant[]): Promise<Map<string, string>> {
    const trees = new Map<string, string>()
    await Promise.all(
      variants.map(async (variant) => {
        const task = this.deps.store.tasks.get(variant.task_id)
        const tree = task ? await this.deps.review.resultTree(task).catch(() => null) : null
        if (tree) trees.set(variant.task_id, tree)
      }),
    )
    const changed = new Map(
      [...trees].filter(
        ([taskId, tree]) => group.variants.find((v) => v.task_id === taskId)?.result_tree !== tree,
      ),
    )
    if (changed.size > 0) this.deps.store.groups.setResultTrees(group.id, changed, now())
    return trees
  }

  private variantOf(group: TaskGroupRecord, taskId: string, field: string): GroupVariant {
    const variant = group.variants.find((candidate) => candidate.task_id === taskId)
    if (!variant) throw invalid(`${field}: task ${taskId} is not a variant of group ${group.id}`)
    return variant
  }

  private taskOf(taskId: string): TaskView | null {
    return this.deps.store.tasks.get(taskId) ? this.deps.tasks.view(taskId, 'none') : null
  }

  private isActive(taskId: string): boolean {
    const task = this.taskOf(taskId)
    return task !== null && (ACTIVE.has(task.status) || task.state === 'queued.waiting')
  }

  /** `action` on each variant whose task `wanted` says, every outcome reported (a deleted variant is left out). */
  private async each(
    variants: GroupVariant[],
    wanted: (task: TaskView) => boolean,
    action: (taskId: string) => Promise<unknown>,
  ): Promise<VariantOutcome[]> {
    const chosen = variants.filter((variant) => {
      const task = this.taskOf(variant.task_id)
      return task !== null && wanted(task)
    })
    return Promise.all(
      chosen.map(async (variant) => {
        try {
          await action(variant.task_id)
          return { task_id: variant.task_id, ok: true, error: null }
        } catch (error) {
          return { task_id: variant.task_id, ok: false, error: describe(error) }
        }
      }),
    )
  }
}

function describe(error: unknown): { code: string; message: string } {
  return error instanceof AppError
    ? { code: error.code, message: error.message }
    : { code: 'internal', message: (error as Error).message }
}

/** picked, running while any variant is queued to run, running or waiting for input; settled otherwise. */
function groupStatus(group: TaskGroupRecord, variants: { status: string | null }[]): string {
  if (group.pick_state === 'picked') return 'picked'
  if (group.pick_state === 'picking') return 'picking'
  return variants.some(
    (variant) => variant.status !== null && ['running', 'needs-input'].includes(variant.status),
  )
    ? 'running'
    : variants.some((variant) => variant.status === 'queued')
      ? 'queued'
      : 'settled'
}

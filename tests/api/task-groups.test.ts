import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '4' })
  repo = makeRepo(join(rt.dir, 'repo'), { 'README.md': 'hello\n', 'shared.txt': 'base\n' })
})
afterAll(() => rt?.close())

const SETTLED = ['ready-for-review', 'completed', 'failed', 'stopped']

async function createGroup(body: Record<string, unknown>) {
  const created = await rt.call('POST', '/tasks', {
    title: 'try it three ways',
    prompt: '',
    runner: 'shell',
    workspace: repo,
    ...body,
  })
  expect(created.status).toBe(200)
  return created.body
}

const taskOf = async (id: string) => (await rt.call('GET', `/tasks/${id}?events=none`)).body

async function settled(ids: string[]) {
  return waitFor('every variant settled', async () => {
    const tasks = await Promise.all(ids.map(taskOf))
    return tasks.every((task) => SETTLED.includes(task.status)) ? tasks : null
  })
}

describe('a group of three shell variants', () => {
  let group: any
  let ids: string[]

  beforeAll(async () => {
    group = await createGroup({
      command: 'set -e',
      // Every variant's checks: only 2 writes "two" into shared.txt.
      checks: [{ name: 'two', command: 'grep -q two shared.txt', timeout_seconds: 60 }],
      variants: [
        // 1 and 2 both change shared.txt; 1 and 3 both change README.md.
        {
          runner: 'shell',
          prompt_suffix: "printf 'one\\n' > shared.txt; echo first >> README.md; echo 1 > only1.txt",
        },
        { runner: 'shell', prompt_suffix: "printf 'two\\nlines\\n' > shared.txt; echo 2 > only2.txt" },
        { runner: 'shell', prompt_suffix: 'echo third >> README.md; echo 3 > only3.txt' },
      ],
    })
    ids = group.variants.map((variant: any) => variant.task_id)
    const started = await rt.call('POST', `/task-groups/${group.id}/start`)
    expect(started.status).toBe(200)
    expect(started.body.variants.map((outcome: any) => outcome.ok)).toEqual([true, true, true])
    const tasks = await settled(ids)
    expect(tasks.map((task) => task.status)).toEqual([
      'ready-for-review',
      'ready-for-review',
      'ready-for-review',
    ])
  })

  test('every variant is an ordinary task of the group, with its own worktree', async () => {
    expect(group.variants).toHaveLength(3)
    for (const id of ids) {
      const task = await taskOf(id)
      expect(task.group_id).toBe(group.id)
      expect(task.worktree_path).toContain(id)
      expect((await rt.call('GET', `/tasks/${id}/diff`)).body.has_changes).toBe(true)
    }
    expect((await taskOf(ids[1] as string)).command).toBe(
      "set -e\nprintf 'two\\nlines\\n' > shared.txt; echo 2 > only2.txt",
    )
  })

  test('the group resource counts each variant and names the files several changed', async () => {
    const view = (await rt.call('GET', `/task-groups/${group.id}`)).body
    const [one, two, three] = view.variants
    const paths = (variant: any) => variant.files.map((file: any) => file.path).sort()
    expect(paths(one)).toEqual(['README.md', 'only1.txt', 'shared.txt'])
    expect(paths(two)).toEqual(['only2.txt', 'shared.txt'])
    expect(paths(three)).toEqual(['README.md', 'only3.txt'])
    // shared.txt: one line replaced; README.md: one line added; only1.txt: one line.
    expect([one.additions, one.deletions]).toEqual([3, 1])
    expect([two.additions, two.deletions]).toEqual([3, 1])
    expect([three.additions, three.deletions]).toEqual([2, 0])
    expect(view.shared_files).toEqual([
      { path: 'README.md', task_ids: [ids[0], ids[2]] },
      { path: 'shared.txt', task_ids: [ids[0], ids[1]] },
    ])
    expect(view.variants.map((variant: any) => [variant.verdicts?.status, variant.verdicts?.passed])).toEqual(
      [
        ['failed', 0],
        ['passed', 1],
        ['failed', 0],
      ],
    )
    for (const variant of view.variants) {
      expect(variant).toMatchObject({
        status: 'ready-for-review',
        runner: 'shell',
        archived: false,
      })
      expect(variant.verdicts.total).toBe(1)
      expect(variant.duration_ms).toBeGreaterThan(0)
      expect(variant.result_tree).toMatch(/^[0-9a-f]{40}$/)
    }
    expect(view.status).toBe('settled')
    const listed = (await rt.call('GET', '/task-groups')).body
    expect(listed.find((entry: any) => entry.id === group.id)?.variants).toHaveLength(3)
  })

  test("compare returns the diff from one variant's result to another's", async () => {
    const compared = await rt.call('GET', `/task-groups/${group.id}/compare?a=${ids[0]}&b=${ids[1]}`)
    expect(compared.status).toBe(200)
    const files = Object.fromEntries(compared.body.files.map((file: any) => [file.path, file.status]))
    expect(files).toEqual({
      'README.md': 'modified',
      'only1.txt': 'deleted',
      'only2.txt': 'added',
      'shared.txt': 'modified',
    })
    expect(compared.body.patch).toContain('-one\n+two\n+lines')
    expect(compared.body.patch).toContain('-first')
    const reverse = (await rt.call('GET', `/task-groups/${group.id}/compare?a=${ids[1]}&b=${ids[0]}`)).body
    expect(reverse.patch).toContain('-two\n-lines\n+one')
  })

  test('bad input is a 400 naming what is wrong', async () => {
    const outsider = (
      await rt.call('POST', '/tasks', {
        title: 'alone',
        prompt: '',
        runner: 'shell',
        command: 'true',
        workspace: repo,
      })
    ).body.id
    const notInGroup = await rt.call('GET', `/task-groups/${group.id}/compare?a=${ids[0]}&b=${outsider}`)
    expect(notInGroup.status).toBe(400)
    expect(notInGroup.body.error.message).toContain('b: task')
    const missing = await rt.call('GET', `/task-groups/${group.id}/compare?a=${ids[0]}`)
    expect(missing.status).toBe(400)
    const wrongPick = await rt.call('POST', `/task-groups/${group.id}/pick`, { task_id: outsider })
    expect(wrongPick.status).toBe(400)
    expect(wrongPick.body.error.message).toContain('task_id')
    const unknownGroup = await rt.call('GET', `/task-groups/${crypto.randomUUID()}`)
    expect(unknownGroup.status).toBe(404)
  })

  test('pick merges only the winner, archives the others restorably, and a second pick is 409', async () => {
    const picked = await rt.call('POST', `/task-groups/${group.id}/pick`, {
      task_id: ids[1],
      strategy: 'apply',
      note: 'two lines read better',
    })
    expect(picked.status).toBe(200)
    expect(readFileSync(join(repo, 'shared.txt'), 'utf8')).toBe('two\nlines\n')
    expect(readFileSync(join(repo, 'only2.txt'), 'utf8')).toBe('2\n')
    expect(existsSync(join(repo, 'only1.txt'))).toBe(false)
    expect(existsSync(join(repo, 'only3.txt'))).toBe(false)
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('hello\n')
    expect(picked.body.archived.map((entry: any) => entry.task_id).sort()).toEqual([ids[0], ids[2]].sort())
    expect(picked.body.group.pick).toMatchObject({
      state: 'picked',
      task_id: ids[1],
      note: 'two lines read better',
    })
    expect(picked.body.group.status).toBe('picked')
    const [loser] = picked.body.group.variants
    expect(loser).toMatchObject({ archived: true, merged: false })
    // The archived variant still shows what it changed, from the tree captured before the cleanup.
    expect(loser.files.map((file: any) => file.path).sort()).toEqual(['README.md', 'only1.txt', 'shared.txt'])
    expect(picked.body.group.variants[1]).toMatchObject({ merged: true, archived: false })

    const again = await rt.call('POST', `/task-groups/${group.id}/pick`, { task_id: ids[0] })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('already_picked')
    const stillCompared = await rt.call('GET', `/task-groups/${group.id}/compare?a=${ids[0]}&b=${ids[2]}`)
    expect(stillCompared.body.files.map((file: any) => file.path).sort()).toEqual([
      'README.md',
      'only1.txt',
      'only3.txt',
      'shared.txt',
    ])

    const restored = await rt.call('POST', `/tasks/${ids[0]}/worktree/restore`)
    expect(restored.status).toBe(200)
    const worktree = (await taskOf(ids[0] as string)).worktree_path
    expect(readFileSync(join(worktree, 'only1.txt'), 'utf8')).toBe('1\n')
    expect(readFileSync(join(worktree, 'shared.txt'), 'utf8')).toBe('one\n')
    gitSync(repo, 'checkout', '--', '.')
    gitSync(repo, 'clean', '-fdq')
  })
})

describe('group input and actions', () => {
  test('a count makes that many variants of the request runner', async () => {
    const group = await createGroup({ command: 'echo same > same.txt', variants: 2 })
    expect(group.variants.map((variant: any) => variant.runner)).toEqual(['shell', 'shell'])
    expect(group.variants.map((variant: any) => variant.status)).toEqual(['queued', 'queued'])
  })

  test('more than eight variants, an unknown variant field or preset is refused naming it, and nothing is stored', async () => {
    const before = (await rt.call('GET', '/tasks?limit=500&events=none')).body.length
    const nine = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      variants: 9,
    })
    expect(nine.status).toBe(400)
    expect(nine.body.error.message).toContain('variants')
    const list = Array.from({ length: 9 }, () => ({ runner: 'shell' }))
    const long = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      variants: list,
    })
    expect(long.status).toBe(400)
    expect(long.body.error.message).toContain('variants')
    const unknown = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      variants: [{ runner: 'shell', temperature: 2 }],
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.message).toContain('variants.0')
    expect(unknown.body.error.message).toContain('temperature')
    const preset = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      variants: [{ runner: 'shell' }, { runner: 'shell', policy_preset: 'nonsense' }],
    })
    expect(preset.status).toBe(400)
    expect(preset.body.error.message).toContain('variants.1.policy_preset')
    // An agent variant without a goal: the whole group is refused, its shell variant not stored either.
    const noGoal = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      variants: [{ runner: 'shell' }, { runner: 'codex' }],
    })
    expect(noGoal.status).toBe(400)
    expect(noGoal.body.error.message).toContain('variants.1 (codex)')
    expect((await rt.call('GET', '/tasks?limit=500&events=none')).body.length).toBe(before)
  })

  test('stopping the group mid-run stops every variant', async () => {
    // Each variant blocks reading its stdin, which only a reply (never sent here) would feed.
    const group = await createGroup({
      command: 'echo waiting; read answer; echo "$answer" > answer.txt',
      variants: 3,
    })
    const ids: string[] = group.variants.map((variant: any) => variant.task_id)
    await rt.call('POST', `/task-groups/${group.id}/start`)
    await waitFor('every variant running and waiting', async () => {
      const tasks = await Promise.all(ids.map((id) => rt.call('GET', `/tasks/${id}?events=all`)))
      return tasks.every(
        ({ body }) =>
          body.status === 'running' && body.events.some((event: any) => event.message === 'waiting'),
      )
    })
    expect((await rt.call('GET', `/task-groups/${group.id}`)).body.status).toBe('running')
    const busyPick = await rt.call('POST', `/task-groups/${group.id}/pick`, { task_id: ids[0] })
    expect(busyPick.status).toBe(409)
    expect(busyPick.body.error.code).toBe('variants_active')
    const stopped = await rt.call('POST', `/task-groups/${group.id}/stop`)
    expect(stopped.status).toBe(200)
    expect(stopped.body.variants.map((outcome: any) => outcome.ok)).toEqual([true, true, true])
    const tasks = await settled(ids)
    expect(tasks.map((task) => task.status)).toEqual(['stopped', 'stopped', 'stopped'])
  })

  test('a reply goes to one variant, or to all of them', async () => {
    const group = await createGroup({
      command: 'echo waiting; read answer; echo "$answer" > answer.txt',
      variants: 3,
    })
    const ids: string[] = group.variants.map((variant: any) => variant.task_id)
    await rt.call('POST', `/task-groups/${group.id}/start`)
    await waitFor('every variant waiting', async () => {
      const tasks = await Promise.all(ids.map((id) => rt.call('GET', `/tasks/${id}?events=all`)))
      return tasks.every(({ body }) => body.events.some((event: any) => event.message === 'waiting'))
    })
    const one = await rt.call('POST', `/task-groups/${group.id}/reply`, {
      message: 'just you',
      task_id: ids[0],
    })
    expect(one.status).toBe(200)
    const [first] = await settled([ids[0] as string])
    expect(readFileSync(join(first.worktree_path, 'answer.txt'), 'utf8')).toBe('just you\n')
    const all = await rt.call('POST', `/task-groups/${group.id}/reply`, { message: 'everyone' })
    expect(all.status).toBe(200)
    // The finished shell variant cannot take a reply: its refusal is listed, the others got it.
    expect(all.body.variants.map((outcome: any) => outcome.ok)).toEqual([false, true, true])
    const rest = await settled(ids.slice(1))
    for (const task of rest)
      expect(readFileSync(join(task.worktree_path, 'answer.txt'), 'utf8')).toBe('everyone\n')
  })
})

describe('a hostile variant', () => {
  test('compare and pick read the worktree the server captured, not the branch the run moved', async () => {
    const target = makeRepo(join(rt.dir, 'hostile-repo'), { 'result.txt': 'base\n' })
    // Variant 1 may write git: it commits a decoy on its branch, then leaves other content in its files.
    const created = await rt.call('POST', '/tasks', {
      title: 'decoy',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: target,
      policy: { allow_git_write: true },
      variants: [
        {
          runner: 'shell',
          prompt_suffix:
            'echo decoy > result.txt && git add result.txt && git -c user.name=a -c user.email=a@b commit -qm decoy && echo final-a > result.txt',
        },
        { runner: 'shell', prompt_suffix: 'echo final-b > result.txt' },
      ],
    })
    expect(created.status).toBe(200)
    const ids: string[] = created.body.variants.map((variant: any) => variant.task_id)
    await rt.call('POST', `/task-groups/${created.body.id}/start`)
    expect((await settled(ids)).map((task) => task.status)).toEqual(['ready-for-review', 'ready-for-review'])
    const compared = (await rt.call('GET', `/task-groups/${created.body.id}/compare?a=${ids[0]}&b=${ids[1]}`))
      .body
    expect(compared.patch).toContain('-final-a\n+final-b')
    expect(compared.patch).not.toContain('decoy')
    const picked = await rt.call('POST', `/task-groups/${created.body.id}/pick`, { task_id: ids[0] })
    expect(picked.status).toBe(200)
    expect(readFileSync(join(target, 'result.txt'), 'utf8')).toBe('final-a\n')
  })
})

describe('a pick that conflicts', () => {
  test('is refused with the target untouched, and the group can be picked again', async () => {
    const target = makeRepo(join(rt.dir, 'conflict-repo'), { 'app.txt': 'one\ntwo\n' })
    const created = await rt.call('POST', '/tasks', {
      title: 'edit',
      prompt: '',
      runner: 'shell',
      command: "printf 'one\\nTASK\\n' > app.txt",
      workspace: target,
      variants: 2,
    })
    const ids: string[] = created.body.variants.map((variant: any) => variant.task_id)
    await rt.call('POST', `/task-groups/${created.body.id}/start`)
    await settled(ids)
    writeFileSync(join(target, 'app.txt'), 'one\nUSER\n')
    const refused = await rt.call('POST', `/task-groups/${created.body.id}/pick`, { task_id: ids[0] })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('merge_conflict')
    expect(readFileSync(join(target, 'app.txt'), 'utf8')).toBe('one\nUSER\n')
    const open = (await rt.call('GET', `/task-groups/${created.body.id}`)).body
    expect(open.pick).toBeNull()
    expect(open.variants.map((variant: any) => variant.archived)).toEqual([false, false])
    gitSync(target, 'checkout', '--', 'app.txt')
    const picked = await rt.call('POST', `/task-groups/${created.body.id}/pick`, {
      task_id: ids[1],
      strategy: 'commit',
    })
    expect(picked.status).toBe(200)
    expect(gitSync(target, 'show', 'HEAD:app.txt')).toBe('one\nTASK\n')
  })
})

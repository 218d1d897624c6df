import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { eventsOf, hostScratch, outputOf, type TasksApi, tasksApi } from '../runners/api'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

/**
 * Attacks 2 and 3 of the containment issue: a run on the default preset tries to rewrite the
 * user's history, plant tags and delete objects, and to commit however the command is spelled.
 * The user's repository is read-only to every run; without git writes, so is the task's own git
 * directory. With git writes, commits land in the task's own git directory and the server brings
 * them in, checking every object.
 */

const scratch = hostScratch('openruntime-user-repo-')
let rt: TestRuntime
let api: TasksApi
let counter = 0

beforeAll(async () => {
  rt = await startTestRuntime()
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  scratch.cleanup()
})

const REWRITE = `gd=$(git rev-parse --git-dir)
objects=$(cat "$gd/objects/info/alternates")
main=$(dirname "$objects")
evil=$(git commit-tree -m evil 4b825dc642cb6eb9a060e54bf8d69288fbee4904 2>/dev/null) && echo "commit-tree: made $evil" || echo "commit-tree: refused"
git --git-dir="$main" update-ref refs/heads/main HEAD~0 2>/dev/null && echo "move main: done" || echo "move main: refused"
git --git-dir="$main" tag -f planted 2>/dev/null && echo "tag: done" || echo "tag: refused"
git update-ref refs/heads/other HEAD 2>/dev/null && echo "own ref: done" || echo "own ref: refused"
head=$(git rev-parse HEAD)
rm -f "$objects/$(echo "$head" | cut -c1-2)/$(echo "$head" | cut -c3-)" 2>/dev/null && echo "delete object: done" || echo "delete object: refused"
echo "mark" >> "$main/packed-refs" 2>/dev/null && echo "packed-refs: written" || echo "packed-refs: refused"
echo "mark" >> "$gd/HEAD" 2>/dev/null && echo "own HEAD: written" || echo "own HEAD: refused"
`

function freshRepo(): string {
  const repo = makeRepo(join(scratch.path, `repo-${++counter}`), {
    'README.md': 'hello\n',
    'rewrite.sh': REWRITE,
  })
  // A second commit, so HEAD~ exists and the object store has history worth protecting.
  gitSync(repo, 'commit', '-q', '--allow-empty', '-m', 'second')
  return repo
}

/**
 * Refs, every object file and what fsck says: all a run could have changed in a repository. The
 * task branch openRuntime itself keeps for each task is checked on its own.
 */
function repositoryState(gitDir: string) {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : [relative(gitDir, join(dir, entry.name))],
    )
  return {
    refs: gitSync(gitDir, '--git-dir', gitDir, 'for-each-ref', '--format=%(refname) %(objectname)')
      .split('\n')
      .filter((line) => !line.startsWith('refs/heads/openruntime/')),
    head: gitSync(gitDir, '--git-dir', gitDir, 'rev-parse', 'HEAD'),
    objects: files(join(gitDir, 'objects')).sort(),
    fsck: gitSync(gitDir, '--git-dir', gitDir, 'fsck', '--no-progress', '--no-dangling'),
  }
}

const taskGitDir = (repo: string, id: string) => join(repo, '.openruntime', 'gitdirs', id)

describe("the user's repository is read-only to every run", () => {
  test('history rewriting, tags, ref and object deletion on the default preset change nothing', async () => {
    const repo = freshRepo()
    const before = repositoryState(join(repo, '.git'))
    const id = await api.create({ runner: 'shell', command: 'sh rewrite.sh', workspace: repo })
    await api.run(id)
    const task = await api.settled(id)

    expect(task.sandboxed).toBe(true)
    expect(outputOf(task)).toEqual([
      'commit-tree: refused',
      'move main: refused',
      'tag: refused',
      'own ref: refused',
      'delete object: refused',
      'packed-refs: refused',
      'own HEAD: refused',
    ])
    expect(repositoryState(join(repo, '.git'))).toEqual(before)
    expect(before.fsck).toBe('')
    expect(gitSync(repo, 'rev-parse', `refs/heads/openruntime/${id.slice(0, 8)}`)).toBe(before.head)
    // The task's own git directory is as openRuntime made it: one ref at the base, no object.
    const own = taskGitDir(repo, id)
    expect(gitSync(own, '--git-dir', own, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(
      `refs/heads/openruntime/${id.slice(0, 8)} ${before.head}`,
    )
    expect(repositoryState(own).objects).toEqual(['objects/info/alternates'])
  })

  test.each([
    ['xargs', 'echo commit --allow-empty -m sneaky | xargs git'],
    [
      'node',
      `node -e 'require("child_process").execSync("gi"+"t commit --allow-empty -m sneaky", {stdio: "inherit"})'`,
    ],
  ])('without git writes, a commit spelled through %s makes no commit anywhere', async (_, command) => {
    const repo = freshRepo()
    const before = repositoryState(join(repo, '.git'))
    const id = await api.create({
      runner: 'shell',
      command: `git -c user.name=x -c user.email=x@x status --short >/dev/null; ${command}`,
      workspace: repo,
    })
    await api.run(id)
    const task = await api.settled(id)
    expect(task.status).toBe('failed')
    expect(outputOf(task, 'stderr').join('\n')).toMatch(/Read-only file system|Unable to create/)
    expect(repositoryState(join(repo, '.git'))).toEqual(before)
    expect(gitSync(repo, 'rev-parse', `refs/heads/openruntime/${id.slice(0, 8)}`)).toBe(before.head)
    expect(gitSync(taskGitDir(repo, id), '--git-dir', taskGitDir(repo, id), 'rev-parse', 'HEAD')).toBe(
      before.head,
    )
  })
})

describe('a run with git writes commits into a git directory of its own', () => {
  test("its commits become the task branch in the user's repository; the user's own branches do not move", async () => {
    const repo = freshRepo()
    const main = gitSync(repo, 'rev-parse', 'main').trim()
    const id = await api.create({
      runner: 'shell',
      command:
        'echo work > work.txt && git add work.txt && git -c user.name=agent -c user.email=a@a commit -qm "agent work" && git branch side',
      workspace: repo,
      policy: { allow_git_write: true },
    })
    await api.run(id)
    const task = await api.settled(id)
    expect(task).toMatchObject({ status: 'ready-for-review', sandboxed: true })
    const branch = `openruntime/${id.slice(0, 8)}`
    expect(gitSync(repo, 'log', '-1', '--format=%s', branch).trim()).toBe('agent work')
    expect(gitSync(repo, 'show', `${branch}:work.txt`)).toBe('work\n')
    expect(gitSync(repo, 'rev-parse', 'main').trim()).toBe(main)
    // Only the task branch comes in; other refs the run made stay in its own directory.
    expect(gitSync(repo, 'branch', '--list', 'side')).toBe('')
    expect(gitSync(repo, 'fsck', '--no-progress', '--no-dangling')).toBe('')
  })

  test("a crafted commit (a tree holding .git/config) is refused at the door: the user's repository never gets it", async () => {
    const repo = freshRepo()
    const before = repositoryState(join(repo, '.git'))
    const craft = [
      'blob=$(echo "[core] fsmonitor = touch /tmp/pwned" | git hash-object -w --stdin)',
      'inner=$(printf "100644 blob %s\\tconfig\\n" "$blob" | git mktree)',
      'tree=$(printf "040000 tree %s\\t.git\\n" "$inner" | git mktree)',
      'commit=$(git -c user.name=x -c user.email=x@x commit-tree -m crafted "$tree")',
      'git update-ref HEAD "$commit" && echo crafted',
    ].join(' && ')
    const id = await api.create({
      runner: 'shell',
      command: craft,
      workspace: repo,
      policy: { allow_git_write: true },
    })
    await api.run(id)
    const task = await api.settled(id)
    expect(outputOf(task)).toEqual(['crafted'])
    const refused = eventsOf(task, 'commits-not-collected')
    expect(refused.length).toBe(1)
    expect(refused[0].message).toContain('could not bring the task')
    const after = repositoryState(join(repo, '.git'))
    expect(after.refs).toEqual(before.refs)
    expect(gitSync(repo, 'rev-parse', `refs/heads/openruntime/${id.slice(0, 8)}`)).toBe(before.head)
    expect(after.fsck).toBe('')
  })
})

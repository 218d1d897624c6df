import type { Database } from 'bun:sqlite'
import { selectIn } from './in-list'

export interface PushRecord {
  task_id: string
  remote: string
  branch: string
  commit_sha: string
  pushed_at: string
}

export interface PullRequestRecord {
  task_id: string
  tool: string
  url: string
  head: string
  base: string
  created_at: string
}

/** What the user published of a task: pushes of its branch, the pull request opened for it. */
export class PublishingTable {
  constructor(private readonly db: Database) {}

  addPush(push: PushRecord): void {
    this.db
      .query(
        'INSERT INTO task_pushes (task_id, remote, branch, commit_sha, pushed_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(push.task_id, push.remote, push.branch, push.commit_sha, push.pushed_at)
  }

  latestPush(taskId: string): PushRecord | null {
    return this.db
      .query(
        'SELECT task_id, remote, branch, commit_sha, pushed_at FROM task_pushes WHERE task_id = ? ORDER BY id DESC LIMIT 1',
      )
      .get(taskId) as PushRecord | null
  }

  setPullRequest(pr: PullRequestRecord): void {
    this.db
      .query(
        'INSERT OR REPLACE INTO task_pull_requests (task_id, tool, url, head, base, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(pr.task_id, pr.tool, pr.url, pr.head, pr.base, pr.created_at)
  }

  /** The pull request's address of each of these tasks that has one (one query for a page of tasks). */
  pullRequestUrls(taskIds: readonly string[]): Map<string, string> {
    const result = new Map<string, string>()
    const rows = selectIn<{ task_id: string; url: string }>(
      this.db,
      taskIds,
      (list) => `SELECT task_id, url FROM task_pull_requests WHERE task_id IN (${list})`,
    )
    for (const row of rows) result.set(row.task_id, row.url)
    return result
  }
}

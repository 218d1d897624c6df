import type { Database } from 'bun:sqlite'
import type {
  CheckResult,
  CheckRun,
  CheckRunStatus,
  CheckSummary,
  CheckTrigger,
  CriterionGrade,
  FixLoopOutcome,
} from '../domain'
import { selectIn } from './in-list'
import { parseStoredJson } from './json'

type RunRow = Omit<CheckRun, 'results' | 'grades'>
type ResultRow = CheckResult & { run_id: string; position: number }
type GradeRow = CriterionGrade & { run_id: string; position: number }

export interface NewCheckRun {
  id: string
  task_id: string
  attempt_id: string
  trigger: CheckTrigger
  fix_round: number
  checks: Pick<CheckResult, 'name' | 'command' | 'timeout_seconds'>[]
  started_at: string
}

/** A merge forced past the checks gate: who, why, and which checks had not passed. */
export interface ForcedMerge {
  task_id: string
  forced_by: string
  reason: string
  failed_checks: string[]
  check_run_id: string | null
  created_at: string
}

const RUN_COLUMNS =
  'id, task_id, attempt_id, trigger, fix_round, status, fix_loop, review_error, started_at, finished_at'
const RESULT_COLUMNS =
  'run_id, position, name, command, timeout_seconds, verdict, exit_status, duration_ms, output_tail, started_at, finished_at'

/** Rounds of checks, their results and the reviewer's grades (see migrations/010_checks.sql). */
export class CheckTable {
  constructor(private readonly db: Database) {}

  /** A round about to run: every check pending. */
  insertRun(run: NewCheckRun): void {
    this.db
      .prepare(
        'INSERT INTO check_runs (id, task_id, attempt_id, trigger, fix_round, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(run.id, run.task_id, run.attempt_id, run.trigger, run.fix_round, 'running', run.started_at)
    const insert = this.db.prepare(
      "INSERT INTO check_results (run_id, position, name, command, timeout_seconds, verdict) VALUES (?, ?, ?, ?, ?, 'pending')",
    )
    for (const [position, check] of run.checks.entries())
      insert.run(run.id, position, check.name, check.command, check.timeout_seconds)
  }

  /** One check's state: running (with its start) or its verdict (with everything it ended with). */
  setResult(
    runId: string,
    position: number,
    result: Partial<
      Pick<
        CheckResult,
        'verdict' | 'exit_status' | 'duration_ms' | 'output_tail' | 'started_at' | 'finished_at'
      >
    >,
  ): void {
    const entries = Object.entries(result)
    if (entries.length === 0) return
    this.db
      .prepare(
        `UPDATE check_results SET ${entries.map(([key]) => `${key} = ?`).join(', ')} WHERE run_id = ? AND position = ?`,
      )
      .run(...entries.map(([, value]) => value as string | number | null), runId, position)
  }

  /** The round's end; checks it never reached stay pending. */
  finishRun(
    runId: string,
    end: { status: CheckRunStatus; fix_loop: FixLoopOutcome | null; finished_at: string },
  ): void {
    this.db
      .prepare('UPDATE check_runs SET status = ?, fix_loop = ?, finished_at = ? WHERE id = ?')
      .run(end.status, end.fix_loop, end.finished_at, runId)
  }

  setGrades(runId: string, grades: CriterionGrade[], reviewError: string | null): void {
    this.db.prepare('DELETE FROM criterion_grades WHERE run_id = ?').run(runId)
    const insert = this.db.prepare(
      'INSERT INTO criterion_grades (run_id, position, criterion, verdict, reason) VALUES (?, ?, ?, ?, ?)',
    )
    for (const [position, grade] of grades.entries())
      insert.run(runId, position, grade.criterion, grade.verdict, grade.reason)
    this.db.prepare('UPDATE check_runs SET review_error = ? WHERE id = ?').run(reviewError, runId)
  }

  /**
   * Rounds still marked running, of one task or (at start, after a crash) of all: they ended
   * stopped; their checks that never got a verdict stay as they were (pending, running).
   */
  settleRunning(at: string, taskId?: string): void {
    const which = taskId === undefined ? '' : ' AND task_id = ?'
    this.db
      .prepare(`UPDATE check_runs SET status = 'stopped', finished_at = ? WHERE status = 'running'${which}`)
      .run(...(taskId === undefined ? [at] : [at, taskId]))
  }

  get(runId: string): CheckRun | null {
    const row = this.db
      .query<RunRow, [string]>(`SELECT ${RUN_COLUMNS} FROM check_runs WHERE id = ?`)
      .get(runId)
    return row ? (this.complete([row])[0] ?? null) : null
  }

  latest(taskId: string): CheckRun | null {
    return this.list(taskId, 1)[0] ?? null
  }

  /** The task's rounds, newest first. */
  list(taskId: string, limit = 100): CheckRun[] {
    const rows = this.db
      .query<RunRow, [string, number]>(
        `SELECT ${RUN_COLUMNS} FROM check_runs WHERE task_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?`,
      )
      .all(taskId, limit)
    return this.complete(rows)
  }

  /** Each task's newest check run, summarised (one query for a page of tasks; a task with none is absent). */
  summaries(taskIds: readonly string[]): Map<string, CheckSummary> {
    const result = new Map<string, CheckSummary>()
    const rows = selectIn<CheckSummary & { task_id: string }>(
      this.db,
      taskIds,
      (list) =>
        `SELECT r.task_id, r.status, r.fix_round, r.fix_loop,
             (SELECT count(*) FROM check_results WHERE run_id = r.id) AS total,
             (SELECT count(*) FROM check_results WHERE run_id = r.id AND verdict = 'passed') AS passed,
             (SELECT count(*) FROM criterion_grades WHERE run_id = r.id) AS graded,
             (SELECT count(*) FROM criterion_grades WHERE run_id = r.id AND verdict = 'met') AS met
           FROM (SELECT id, task_id, status, fix_round, fix_loop,
                   row_number() OVER (PARTITION BY task_id ORDER BY started_at DESC, rowid DESC) AS newest
                 FROM check_runs WHERE task_id IN (${list})) AS r
           WHERE r.newest = 1`,
    )
    for (const { task_id, ...summary } of rows) result.set(task_id, summary)
    return result
  }

  recordForcedMerge(merge: ForcedMerge): void {
    this.db
      .prepare(
        'INSERT INTO forced_merges (task_id, forced_by, reason, failed_checks_json, check_run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        merge.task_id,
        merge.forced_by,
        merge.reason,
        JSON.stringify(merge.failed_checks),
        merge.check_run_id,
        merge.created_at,
      )
  }

  forcedMerges(taskId: string): ForcedMerge[] {
    return this.db
      .query<Omit<ForcedMerge, 'failed_checks'> & { failed_checks_json: string }, [string]>(
        'SELECT task_id, forced_by, reason, failed_checks_json, check_run_id, created_at FROM forced_merges WHERE task_id = ? ORDER BY id',
      )
      .all(taskId)
      .map(({ failed_checks_json, ...row }) => ({
        ...row,
        failed_checks: parseStoredJson<string[]>(failed_checks_json, []),
      }))
  }

  private complete(rows: RunRow[]): CheckRun[] {
    if (rows.length === 0) return []
    const ids = rows.map((row) => row.id)
    const marks = ids.map(() => '?').join(', ')
    const results = this.db
      .query<ResultRow, string[]>(
        `SELECT ${RESULT_COLUMNS} FROM check_results WHERE run_id IN (${marks}) ORDER BY run_id, position`,
      )
      .all(...ids)
    const grades = this.db
      .query<GradeRow, string[]>(
        `SELECT run_id, position, criterion, verdict, reason FROM criterion_grades WHERE run_id IN (${marks}) ORDER BY run_id, position`,
      )
      .all(...ids)
    return rows.map((row) => ({
      ...row,
      results: results
        .filter((r) => r.run_id === row.id)
        .map(({ run_id: _r, position: _p, ...result }) => result),
      grades: grades
        .filter((g) => g.run_id === row.id)
        .map(({ run_id: _r, position: _p, ...grade }) => grade),
    }))
  }
}

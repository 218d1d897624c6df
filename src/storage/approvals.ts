import type { Database, Statement } from 'bun:sqlite'
import type { ApprovalDecision, ToolApproval } from '../models'
import { parseStoredJson } from './json'

interface ApprovalRow extends Omit<ToolApproval, 'input'> {
  input_json: string
}

const COLUMNS =
  'id, task_id, attempt_id, request_id, tool, input_json, status, decided_by, decided_at, message, created_at'

const toApproval = ({ input_json, ...row }: ApprovalRow): ToolApproval => ({
  ...row,
  input: parseStoredJson<unknown>(input_json, null),
})

export class ApprovalTable {
  private readonly insertRow: Statement
  private readonly byId: Statement<ApprovalRow, [string, string]>
  private readonly forTask: Statement<ApprovalRow, [string]>
  private readonly pendingForAttempt: Statement<ApprovalRow, [string]>
  private readonly decideRow: Statement
  private readonly expireAllRow: Statement
  private readonly overruleRow: Statement

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(
      `INSERT INTO tool_approvals (${COLUMNS}) VALUES ($id, $task_id, $attempt_id, $request_id, $tool, $input_json, 'pending', NULL, NULL, NULL, $created_at)`,
    )
    this.byId = db.query(`SELECT ${COLUMNS} FROM tool_approvals WHERE task_id = ? AND id = ?`)
    this.forTask = db.query(
      `SELECT ${COLUMNS} FROM tool_approvals WHERE task_id = ? ORDER BY created_at, rowid`,
    )
    this.pendingForAttempt = db.query(
      `SELECT ${COLUMNS} FROM tool_approvals WHERE attempt_id = ? AND status = 'pending' ORDER BY created_at, rowid`,
    )
    this.decideRow = db.prepare(
      "UPDATE tool_approvals SET status = $status, decided_by = $decided_by, decided_at = $decided_at, message = $message WHERE id = $id AND status = 'pending'",
    )
    // A runner host's agent cannot be reached at start-up either, but it may still wait: it is left
    // to its host, which denies it after the policy's timeout and says so.
    this.expireAllRow = db.prepare(
      "UPDATE tool_approvals SET status = 'expired', decided_by = $decided_by, decided_at = $decided_at, message = $message WHERE status = 'pending' AND attempt_id NOT IN (SELECT id FROM task_attempts WHERE runner_host_id IS NOT NULL)",
    )
    this.overruleRow = db.prepare(
      'UPDATE tool_approvals SET status = $status, decided_by = $decided_by, decided_at = $decided_at, message = $message WHERE id = $id AND status <> $status',
    )
  }

  insert(approval: Omit<ToolApproval, 'status' | 'decided_by' | 'decided_at' | 'message'>): ToolApproval {
    const { input, ...rest } = approval
    this.insertRow.run({ ...rest, input_json: JSON.stringify(input ?? null) })
    return { ...approval, status: 'pending', decided_by: null, decided_at: null, message: null }
  }

  get(taskId: string, id: string): ToolApproval | null {
    const row = this.byId.get(taskId, id)
    return row ? toApproval(row) : null
  }

  /** Whether any task has an approval with this id. */
  exists(id: string): boolean {
    return this.db.query('SELECT 1 FROM tool_approvals WHERE id = ?').get(id) !== null
  }

  list(taskId: string): ToolApproval[] {
    return this.forTask.all(taskId).map(toApproval)
  }

  pending(attemptId: string): ToolApproval[] {
    return this.pendingForAttempt.all(attemptId).map(toApproval)
  }

  /** Records the answer; false when the approval was no longer pending. */
  decide(id: string, decision: ApprovalDecision): boolean {
    return this.decideRow.run({ id, ...decision }).changes === 1
  }

  /**
   * What the agent was actually told, when it differs from the answer recorded (a runner host
   * denied it on its timeout before the user's answer reached it): the record follows the agent.
   */
  overrule(id: string, decision: ApprovalDecision): boolean {
    return this.overruleRow.run({ id, ...decision }).changes === 1
  }

  /** At start-up no agent process is alive to receive an answer: every pending request lapsed. */
  expireAll(decision: Omit<ApprovalDecision, 'status'>): number {
    return this.expireAllRow.run(decision).changes
  }
}

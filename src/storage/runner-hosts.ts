import type { Database } from 'bun:sqlite'
import type { AttemptRecord, ControlCommand, ControlType, HostRunners, RunnerHostRecord } from '../domain'
import { ATTEMPT_COLUMNS } from './attempts'
import { Columns, flag, json, number, type Row, stringList, text } from './columns'
import { parseStoredJson } from './json'

/** A host as stored, with what only the registry needs (never the token itself, which is not kept). */
export interface StoredRunnerHost extends RunnerHostRecord {
  /** Labels the user gave it; `labels` adds the ones it reported. */
  assigned_labels: string[]
  lease_expires_at: number | null
}

const HOST_COLUMNS = new Columns<Omit<StoredRunnerHost, 'labels' | 'assigned_labels'> & { labels: string[] }>(
  {
    id: text(),
    name: text(),
    token_prefix: text(),
    labels: stringList(),
    runners: json<HostRunners>(() => ({})),
    sandbox: flag(),
    slots: number(),
    slots_in_use: number(),
    status: text(),
    registered_at: text(),
    last_heartbeat_at: text(),
    revoked_at: text(),
    created_at: text(),
    lease_expires_at: number(),
  },
)

const SELECT_HOST = `SELECT ${HOST_COLUMNS.select}, reported_labels_json FROM runner_hosts`

function toHost(row: Row): StoredRunnerHost {
  const record = HOST_COLUMNS.toRecord(row)
  const reported = parseStoredJson<string[]>(row.reported_labels_json as string | null, [])
  return {
    ...record,
    assigned_labels: record.labels,
    labels: [...new Set([...record.labels, ...(Array.isArray(reported) ? reported : [])])],
  }
}

/** What the runner protocol keeps of a remote attempt. */
export interface RemoteAttempt {
  id: string
  task_id: string
  status: AttemptRecord['status']
  runner_host_id: string
  /** The runner's seq of the last event stored. */
  runner_seq: number
  /** The outcome the host reported, as it sent it (canonical JSON), or null. */
  remote_outcome: string | null
  finished_at: string | null
}

// migrations/014_lookup_indexes.sql indexes the host's live attempts under this same condition.
const LIVE_ATTEMPT = "status IN ('running', 'needs-input')"

interface CommandRow {
  id: number
  attempt_id: string
  type: ControlType
  payload_json: string
  created_at: string
}

const toCommand = (row: CommandRow): ControlCommand => ({
  id: row.id,
  attempt_id: row.attempt_id,
  type: row.type,
  payload: parseStoredJson(row.payload_json, {}),
  created_at: row.created_at,
})

/** Runner hosts, their tokens' hashes, their remote attempts' protocol state and their commands. */
export class RunnerHostTable {
  constructor(private readonly db: Database) {}

  insert(
    host: { id: string; name: string; token_sha256: string; token_prefix: string; labels: string[] },
    at: string,
  ) {
    this.db
      .prepare(
        "INSERT INTO runner_hosts (id, name, token_sha256, token_prefix, labels_json, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
      )
      .run(host.id, host.name, host.token_sha256, host.token_prefix, JSON.stringify(host.labels), at)
  }

  nameTaken(name: string): boolean {
    return this.db.query('SELECT 1 FROM runner_hosts WHERE name = ?').get(name) !== null
  }

  get(id: string): StoredRunnerHost | null {
    const row = this.db.query<Row, [string]>(`${SELECT_HOST} WHERE id = ?`).get(id)
    return row ? toHost(row) : null
  }

  /** The host whose token hashes to this (revoked ones included: the caller decides). */
  byTokenHash(hash: string): (StoredRunnerHost & { token_sha256: string }) | null {
    const row = this.db
      .query<Row, [string]>(`${SELECT_HOST.replace(' FROM', ', token_sha256 FROM')} WHERE token_sha256 = ?`)
      .get(hash)
    return row ? { ...toHost(row), token_sha256: String(row.token_sha256) } : null
  }

  list(): StoredRunnerHost[] {
    // In the order they were created: two in the same millisecond by their insertion (rowid).
    return this.db.query<Row, []>(`${SELECT_HOST} ORDER BY created_at, rowid`).all().map(toHost)
  }

  register(
    id: string,
    report: { runners: HostRunners; sandbox: boolean; slots: number; labels: string[] },
    at: string,
    leaseExpires: number,
  ): void {
    this.db
      .prepare(
        "UPDATE runner_hosts SET runners_json = ?, sandbox = ?, slots = ?, reported_labels_json = ?, status = 'online', registered_at = ?, last_heartbeat_at = ?, lease_expires_at = ? WHERE id = ? AND status != 'revoked'",
      )
      .run(
        JSON.stringify(report.runners),
        report.sandbox ? 1 : 0,
        report.slots,
        JSON.stringify(report.labels),
        at,
        at,
        leaseExpires,
        id,
      )
  }

  heartbeat(id: string, slotsInUse: number, at: string, leaseExpires: number): void {
    this.db
      .prepare(
        "UPDATE runner_hosts SET slots_in_use = ?, status = 'online', last_heartbeat_at = ?, lease_expires_at = ? WHERE id = ? AND status != 'revoked'",
      )
      .run(slotsInUse, at, leaseExpires, id)
  }

  /** Online again with a new lease (a claim shows the host alive); false when it was revoked. */
  renewLease(id: string, leaseExpires: number): boolean {
    return (
      this.db
        .prepare(
          "UPDATE runner_hosts SET status = 'online', lease_expires_at = ? WHERE id = ? AND status != 'revoked'",
        )
        .run(leaseExpires, id).changes === 1
    )
  }

  /** Online hosts whose lease ended before `nowMs`. */
  expired(nowMs: number): StoredRunnerHost[] {
    return this.db
      .query<Row, [number]>(`${SELECT_HOST} WHERE status = 'online' AND lease_expires_at < ?`)
      .all(nowMs)
      .map(toHost)
  }

  /** Marks the host lost, if its lease still has not been renewed; false when it was renewed meanwhile. */
  markLost(id: string, nowMs: number): boolean {
    return (
      this.db
        .prepare(
          "UPDATE runner_hosts SET status = 'lost' WHERE id = ? AND status = 'online' AND lease_expires_at < ?",
        )
        .run(id, nowMs).changes === 1
    )
  }

  revoke(id: string, at: string): void {
    this.db.prepare("UPDATE runner_hosts SET status = 'revoked', revoked_at = ? WHERE id = ?").run(at, id)
  }

  /**
   * The host's attempts that ended here without its report (it was lost, say) and are still their
   * task's latest: what the host did meanwhile is still to come. migrations/014_lookup_indexes.sql
   * indexes exactly the attempts the first three conditions select.
   */
  unreportedAttempts(hostId: string): AttemptRecord[] {
    return this.db
      .query<Row, [string]>(
        `SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts a WHERE runner_host_id = ? AND finished_at IS NOT NULL
           AND remote_outcome_json IS NULL
           AND attempt_number = (SELECT MAX(attempt_number) FROM task_attempts b WHERE b.task_id = a.task_id)
         ORDER BY started_at`,
      )
      .all(hostId)
      .map((row) => ATTEMPT_COLUMNS.toRecord(row))
  }

  /** The host's attempts still running or waiting for input. */
  liveAttempts(hostId: string): AttemptRecord[] {
    return this.db
      .query<Row, [string]>(
        `SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts WHERE runner_host_id = ? AND ${LIVE_ATTEMPT} ORDER BY started_at`,
      )
      .all(hostId)
      .map((row) => ATTEMPT_COLUMNS.toRecord(row))
  }

  remoteAttempt(attemptId: string): RemoteAttempt | null {
    return this.db
      .query<RemoteAttempt, [string]>(
        'SELECT id, task_id, status, runner_host_id, runner_seq, remote_outcome_json AS remote_outcome, finished_at FROM task_attempts WHERE id = ? AND runner_host_id IS NOT NULL',
      )
      .get(attemptId)
  }

  setRunnerSeq(attemptId: string, seq: number): void {
    this.db.prepare('UPDATE task_attempts SET runner_seq = ? WHERE id = ?').run(seq, attemptId)
  }

  setRemoteOutcome(attemptId: string, outcome: string): void {
    this.db.prepare('UPDATE task_attempts SET remote_outcome_json = ? WHERE id = ?').run(outcome, attemptId)
  }

  addCommand(
    hostId: string,
    attemptId: string,
    type: ControlType,
    payload: object,
    at: string,
  ): ControlCommand {
    const row = this.db
      .query<CommandRow, [string, string, string, string, string]>(
        'INSERT INTO runner_commands (host_id, attempt_id, type, payload_json, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id, attempt_id, type, payload_json, created_at',
      )
      .get(hostId, attemptId, type, JSON.stringify(payload), at) as CommandRow
    return toCommand(row)
  }

  /** The host's commands it has not acknowledged, oldest first. */
  pendingCommands(hostId: string): ControlCommand[] {
    return this.db
      .query<CommandRow, [string]>(
        'SELECT id, attempt_id, type, payload_json, created_at FROM runner_commands WHERE host_id = ? AND acked_at IS NULL ORDER BY id',
      )
      .all(hostId)
      .map(toCommand)
  }

  /** 'acked' now, 'already' acknowledged before, or 'unknown' (no such command of this host). */
  ackCommand(hostId: string, id: number, at: string): 'acked' | 'already' | 'unknown' {
    const row = this.db
      .query<{ acked_at: string | null }, [number, string]>(
        'SELECT acked_at FROM runner_commands WHERE id = ? AND host_id = ?',
      )
      .get(id, hostId)
    if (!row) return 'unknown'
    if (row.acked_at !== null) return 'already'
    this.db.prepare('UPDATE runner_commands SET acked_at = ? WHERE id = ?').run(at, id)
    return 'acked'
  }
}

import type { RosterTask } from '../domain'
import { count, duration } from './format'

// git's summary line closes `--stat` output: "2 files changed, 4 insertions(+), 1 deletion(-)".
const STAT_SUMMARY = /(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?\s*$/

/** A diff stat as "+4 −1 · 2 files"; only git's counts are read, never the file names a run chose. */
export function shortDiffStat(stat: string | null): string | null {
  const match = stat === null ? null : STAT_SUMMARY.exec(stat)
  if (!match) return null
  const [, files, added = '0', deleted = '0'] = match
  return `+${count(Number(added))} −${count(Number(deleted))} · ${count(Number(files))} file${files === '1' ? '' : 's'}`
}

/** What a roster entry says about how far a task got: its changes once it has any, else its runtime. */
export function shortProgress(task: RosterTask, now = Date.now()): string {
  const diff = shortDiffStat(task.diff_stat)
  if (diff) return diff
  const attempt = task.current_attempt
  if (task.status === 'running' && attempt && attempt.finished_at === null) {
    const started = Date.parse(attempt.started_at)
    if (Number.isFinite(started)) return `running ${duration(Math.max(0, now - started))}`
  }
  if (attempt === null) return 'not started'
  return duration(task.runtime_millis)
}

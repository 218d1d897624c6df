import { createHash } from 'node:crypto'
import type { RunnerKind } from '../models/vocabulary'

/** What a remote run asks of the host that takes it: its runner and every label it was given. */
export interface Placement {
  runner: RunnerKind
  labels: readonly string[]
}

/** What a runner host offers. */
export interface HostCapabilities {
  runners: readonly RunnerKind[]
  labels: readonly string[]
}

export const REMOTE_QUEUE_PREFIX = 'openruntime-remote-runs'

/** The queue listing every placement that has had a job; nothing ever takes its entries. */
export const PLACEMENT_DIRECTORY = `${REMOTE_QUEUE_PREFIX}.placements`

/** Sorted and without duplicates, so one set of labels is one placement whatever the order asked. */
export const canonicalLabels = (labels: readonly string[]) => [...new Set(labels)].sort()

/**
 * The queue of one placement. Labels may hold characters bunqueue refuses in a queue name (`/`,
 * `=`), so a label set is named by a digest: `openruntime-remote-runs:<runner>` without labels,
 * `openruntime-remote-runs:<runner>:<24 hex>` with them. The labels themselves travel in the
 * directory entry and in each job.
 */
export function placementQueue(placement: Placement): string {
  const labels = canonicalLabels(placement.labels)
  if (labels.length === 0) return `${REMOTE_QUEUE_PREFIX}:${placement.runner}`
  const digest = createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 24)
  return `${REMOTE_QUEUE_PREFIX}:${placement.runner}:${digest}`
}

/**
 * The label only one runner host has: a run pinned to it (a follow-up, whose agent session lives
 * on that host) is placed in a queue no other host serves.
 */
export const hostPin = (hostId: string) => `openruntime.host=${hostId}`

/** A host serves a placement when it has the runner and every label asked for (it may have more). */
export function serves(host: HostCapabilities, placement: Placement): boolean {
  return (
    host.runners.includes(placement.runner) && placement.labels.every((label) => host.labels.includes(label))
  )
}

import { AppError } from '../errors'
import { isWriteRefused } from '../storage/write-failures'

/**
 * A failure as callers of the services see it: an AppError as thrown, a write the database
 * refused as `unavailable` (the transaction rolled back: nothing changed, and it may be retried),
 * or null for anything else (a defect).
 */
export function reportedFailure(error: unknown): AppError | null {
  if (error instanceof AppError) return error
  if (isWriteRefused(error)) {
    return new AppError(
      'unavailable',
      'storage_unavailable',
      `the database cannot be written right now (${error.code}); nothing was changed`,
    )
  }
  return null
}

import { createHash } from 'node:crypto'

/**
 * The name a runner host fetches a workspace repository by (`/git/<name>.git`). Workspaces have no
 * id of their own (their path is their key), so it is a URL-safe hash of the absolute path.
 */
export const repositoryName = (workspace: string): string =>
  createHash('sha256').update(workspace).digest('base64url').slice(0, 22)

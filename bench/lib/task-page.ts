import { existsSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')

/**
 * The task page the benchmarks load: the HTML page where the web UI exists, else the JSON task of
 * trees from before it. Shared by `bench/run.ts` and each file run on its own, so both measure the
 * same route.
 */
export const taskPagePath = existsSync(join(ROOT, 'src', 'routes', 'pages'))
  ? (id: string) => `/tasks/${id}/view`
  : (id: string) => `/tasks/${id}`

import { Elysia } from 'elysia'
import { RunnerHostTable, runnerHostsPage } from '../../views/runner-hosts'
import type { Services } from '../services'
import { PAGES } from './paths'
import { html } from './respond'

/** The runner hosts page and the table fragment it refreshes. */
export function runnerHostPageRoutes({ runnerHosts }: Services) {
  return new Elysia({ name: 'runner-host-page-routes', detail: { hide: true } })
    .get(PAGES.runnerHosts, () => html(runnerHostsPage({ hosts: runnerHosts.registry.list() })))
    .get('/ui/runner-hosts', () => html(RunnerHostTable({ hosts: runnerHosts.registry.list() }) as string))
}

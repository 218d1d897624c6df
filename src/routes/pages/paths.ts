/** The pages a browser navigates to; a failure there is answered with a page of its own. */
export const PAGES = {
  dashboard: '/',
  task: '/tasks/:id/view',
  review: '/tasks/:id/review',
  compare: '/task-groups/:id/view',
  runnerHosts: '/runner-hosts/view',
} as const

/** Everything under this prefix is an htmx fragment or stream; a failure there is a #flash message. */
export const FRAGMENTS = '/ui/'

import { Flash } from '../../views/flash'
import { Layout } from '../../views/layout'
import type { HttpFailure } from '../errors'
import { html } from './respond'

/** A page that says what went wrong (a link to a deleted task, say), with the API's status. */
export function failurePage({ status, body }: HttpFailure): Response {
  const page = Layout({
    title: 'Not available',
    children: (
      <>
        <Flash kind="error" message={body.error.message} />
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </>
    ),
  })
  return html(page, status)
}

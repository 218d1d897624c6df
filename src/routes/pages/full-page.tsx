import { AppError } from '../../errors'
import { Flash } from '../../views/flash'
import { Layout } from '../../views/layout'
import { errorResponse, html } from './respond'

/** A full page, or on failure a page that says what went wrong (a link to a deleted task, say). */
export async function fullPage(work: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await work()
  } catch (error) {
    const status = errorResponse(error).status
    const message = error instanceof AppError ? error.message : 'internal error; see the server log'
    const body = Layout({
      title: 'Not available',
      children: (
        <>
          <Flash kind="error" message={message} />
          <p>
            <a href="/">Back to the dashboard</a>
          </p>
        </>
      ),
    })
    return html(body, status)
  }
}

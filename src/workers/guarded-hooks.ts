import type { SupervisorHooks } from '../process/supervise'

/**
 * An executor's hooks run inside the output reader: an exception there would leave the process
 * unread and unwatched. `contain` is told instead (it ends the run, saying why).
 */
export function guardedHooks(hooks: SupervisorHooks, contain: (error: unknown) => void): SupervisorHooks {
  const { onWaitingForInput } = hooks
  return {
    onLine: (stream, line, partial) => {
      try {
        return hooks.onLine(stream, line, partial)
      } catch (error) {
        contain(error)
        return undefined
      }
    },
    onWaitingForInput: onWaitingForInput
      ? (evidence, prompt) => {
          try {
            onWaitingForInput.call(hooks, evidence, prompt)
          } catch (error) {
            contain(error)
          }
        }
      : undefined,
  }
}

export {
  TaskLifecycle,
  type TransitionEffects,
  TransitionRefused,
  type TransitionResult,
} from './task-lifecycle'
export { TaskStates } from './task-states'

export {
  TaskLifecycle,
  type TransitionEffects,
  TransitionRefused,
  type TransitionResult,
} from './task-lifecycle'

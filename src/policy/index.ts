/** The policy engine: presets, pre-flight checks, output redaction, environment scrubbing, sandbox. */
export {
  assertAllowed,
  type CheckContext,
  type CheckResult,
  checkCommand,
  checkPrompt,
  effectiveNetworkMode,
  POLICY_RULES,
  type PolicyRule,
  type PolicyViolation,
} from './checks'
export {
  type Environment,
  isSecretName,
  MIN_SECRET_VALUE_LENGTH,
  type ScrubOptions,
  scrubEnvironment,
  secretValuesOf,
} from './environment'
export {
  detectPreset,
  type EffectivePolicy,
  getPreset,
  listPresets,
  normalizePolicy,
  type PolicyInput,
  type PolicyPreset,
  PRESET_IDS,
  type PresetId,
} from './presets'
export { createRedactor, type Redactor, type RedactorOptions } from './redact'
export { createStreamRedactor, HOLD_MAX, type StreamRedactor } from './redact-stream'
export {
  assertSandboxPossible,
  defaultHiddenPaths,
  detectSandbox,
  type SandboxedCommand,
  type SandboxInfo,
  type SandboxPolicy,
  type SandboxRequest,
  sandboxCommand,
} from './sandbox'
export { parseShell, type ShellWord, type SimpleCommand } from './shell-words'
export { canonicalPath, isWithin, workspaceAllowed } from './workspace'

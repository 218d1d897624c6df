/** Form field names shared by views and the routes that read them. */
export const TOKEN_FORM_FIELD = 'token'

/** The dispatch form's fields (read by src/routes/pages/dispatch.ts). */
export const DISPATCH = {
  title: 'title',
  runner: 'runner',
  prompt: 'prompt',
  command: 'command',
  model: 'model',
  attempts: 'attempts',
  variantRunners: 'variant_runners',
  workspace: 'workspace',
  budgetMinutes: 'budget_minutes',
  costUsd: 'cost_usd',
  preset: 'preset',
  networkMode: 'network_mode',
  allowGitWrite: 'allow_git_write',
  allowSecrets: 'allow_secrets',
  requireApproval: 'require_approval',
  maxRuntimeMinutes: 'max_runtime_minutes',
  blockedCommands: 'blocked_commands',
  allowedWorkspaces: 'allowed_workspaces',
  allowedFileGlobs: 'allowed_file_globs',
  allowedMcpTools: 'allowed_mcp_tools',
} as const

/** Merges environments for a child: base (undefined entries dropped), then ours, then the caller's. */
export function mergeEnv(
  base: Record<string, string | undefined>,
  ours: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value
  return { ...env, ...ours, ...extra }
}

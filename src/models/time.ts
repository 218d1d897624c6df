/** Every stored time: ISO 8601 in UTC with milliseconds, so ordering them as text orders them in time. */
export const now = (): string => new Date().toISOString()

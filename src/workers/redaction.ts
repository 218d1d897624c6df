import type { Env } from '../config'
import type { EffectivePolicy, NewEvent } from '../domain'
import {
  createRedactor,
  createStreamRedactor,
  type Redactor,
  type StreamRedactor,
  secretValuesOf,
} from '../policy'

/**
 * Redaction as runs use it: secrets recognised by shape and the values of secret variables in the
 * given environments (the server's, and those configured for the agents), unless the task's policy
 * allows secrets.
 */
export class Redaction {
  private readonly redactor: Redactor

  constructor(environments: Env[]) {
    this.redactor = createRedactor({ extraSecrets: environments.flatMap((env) => secretValuesOf(env)) })
  }

  /** One-shot text (a reply), or the text unchanged when the policy allows secrets. */
  text(policy: Pick<EffectivePolicy, 'allow_secrets'>, text: string): string {
    return policy.allow_secrets ? text : this.redactor.redact(text)
  }

  /** A factory of per-stream redactors for chunked output, or undefined when secrets are allowed. */
  stream(policy: Pick<EffectivePolicy, 'allow_secrets'>): (() => StreamRedactor) | undefined {
    return policy.allow_secrets ? undefined : () => createStreamRedactor(this.redactor)
  }

  /** An event with its message and every string in its metadata redacted. */
  event(policy: Pick<EffectivePolicy, 'allow_secrets'>, event: NewEvent): NewEvent {
    if (policy.allow_secrets) return event
    return {
      ...event,
      message: this.redactor.redact(event.message),
      metadata: event.metadata
        ? (this.value(policy, event.metadata) as NewEvent['metadata'])
        : event.metadata,
    }
  }

  /** A JSON value (a tool's input) with every string in it redacted. */
  value(policy: Pick<EffectivePolicy, 'allow_secrets'>, value: unknown): unknown {
    if (policy.allow_secrets) return value
    if (typeof value === 'string') return this.redactor.redact(value)
    if (Array.isArray(value)) return value.map((item) => this.value(policy, item))
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.value(policy, item)]))
    return value
  }
}

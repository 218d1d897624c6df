import { type Static, Type } from '@sinclair/typebox'
import { Nullable, optionalOnWire } from './schema-kit'
import { LimitMechanismSchema } from './vocabulary'

/** A figure read when the run ended, where the mechanism can tell; null until then. */
const Measured = (description?: string) =>
  optionalOnWire(Nullable(Type.Integer(), description ? { description } : undefined))

const Note = (description?: string) => Nullable(Type.String(), description ? { description } : undefined)

/**
 * What an attempt ran under. `note` says what the mechanism does not cover (or why there is
 * none); the measured figures are filled in when the run ended, where the mechanism can tell.
 */
export const RunLimitsRecordSchema = Type.Object(
  {
    processes: Type.Object({
      max: Type.Integer(),
      enforced_by: LimitMechanismSchema,
      note: Note('what the mechanism does not cover, or why none'),
      /** Most processes and threads alive at once. */
      peak: Measured(),
      refused: Measured('forks the limit refused'),
    }),
    memory: Type.Object({
      max_mb: Type.Integer(),
      enforced_by: LimitMechanismSchema,
      note: Note(),
      peak_mb: Measured(),
      /** Processes the kernel killed for passing the limit. */
      oom_kills: Measured(),
    }),
    output: Type.Object({
      max_mb: Type.Integer(),
      /** openRuntime itself counts what it stores. */
      enforced_by: Type.Literal('openruntime'),
      stored_bytes: Measured(),
      dropped_bytes: Measured(),
    }),
  },
  { description: 'the limits the attempt ran under and how each was enforced' },
)
export type RunLimitsRecord = Static<typeof RunLimitsRecordSchema>

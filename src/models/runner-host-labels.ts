import { Type } from '@sinclair/typebox'

/** A placement label: what a task may ask of a runner host (`gpu`, `os=linux`, `zone/eu`). */
export const RunnerLabelSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:/=-]*$',
  description: 'a label: letters, digits and . _ : / = - (at most 64, starting with a letter or digit)',
})
export const RunnerLabelsSchema = Type.Array(RunnerLabelSchema, { maxItems: 32, uniqueItems: true })

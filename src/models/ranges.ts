import { type TInteger, type TNumber, Type } from '@sinclair/typebox'

interface Range {
  minimum: number
  maximum: number
  description: string
}

/** A number field with its range, stated once: the request schemas, the form and its messages read it. */
export type RangedNumber = (TNumber | TInteger) & Range

export const NumberInRange = (range: Range) => Type.Number(range) as TNumber & Range
export const WholeNumberInRange = (range: Range) => Type.Integer(range) as TInteger & Range

/** What the range allows, in words, for messages: "a whole number from 1 to 1440". */
export function describeRange(schema: RangedNumber): string {
  return `${schema.type === 'integer' ? 'a whole number' : 'a number'} from ${schema.minimum} to ${schema.maximum}`
}

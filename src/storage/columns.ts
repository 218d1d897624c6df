import { parseStoredJson } from './json'

/** What SQLite hands back and takes for a column. */
export type SqlValue = string | number | null

/** A row as SQLite hands it back, by column name. */
export type Row = Record<string, SqlValue>

/** How one field of a record is kept in its column. */
export interface Storage<T> {
  /** Added to the field's name to make the column's (JSON columns are `<field>_json`). */
  readonly suffix: string
  /** The database assigns it (a rowid): read, never written. */
  readonly generated: boolean
  encode(value: T): SqlValue
  decode(value: SqlValue): T
}

const plain = <T extends SqlValue>(): Storage<T> => ({
  suffix: '',
  generated: false,
  encode: (value) => value,
  decode: (value) => value as T,
})

/** TEXT, as it is (string or null). */
export const text = <T extends string | null>(): Storage<T> => plain<T>()

/** A number in a numeric column (SQLite keeps a fraction in an INTEGER column as a REAL). */
export const number = <T extends number | null>(): Storage<T> => plain<T>()

/** INTEGER 1 or 0; null stays null. */
export const flag = <T extends boolean | null>(): Storage<T> => ({
  suffix: '',
  generated: false,
  encode: (value) => (value === null ? null : value ? 1 : 0),
  decode: (value) => (value === null ? null : value === 1) as T,
})

/** The INTEGER rowid, handed out as text (the original's ids are strings). */
export const rowId = (): Storage<string> => ({
  suffix: '',
  generated: true,
  encode: (value) => Number(value),
  decode: (value) => String(value),
})

/**
 * JSON in `<field>_json`; null stays null. With `defaults`, an object stored before a field
 * existed gets that field's default, and a damaged value reads as the defaults; without, a
 * damaged value reads as null.
 */
export function json<T extends object | null>(defaults?: () => NonNullable<T>): Storage<T> {
  return {
    suffix: '_json',
    generated: false,
    encode: (value) => (value === null ? null : JSON.stringify(value)),
    decode: (value) => {
      if (value === null) return null as T
      if (!defaults) return parseStoredJson<T | null>(String(value), null) as T
      return { ...defaults(), ...parseStoredJson<Partial<T>>(String(value), {}) } as T
    },
  }
}

/** Every field of a record, and how each is stored. */
export type ColumnSpec<R> = { readonly [K in keyof R]-?: Storage<R[K]> }

interface Column {
  field: string
  name: string
  storage: Storage<unknown>
}

const describe = (spec: object): Column[] =>
  (Object.entries(spec) as [string, Storage<unknown>][]).map(([field, storage]) => ({
    field,
    name: `${field}${storage.suffix}`,
    storage,
  }))

const names = (columns: Column[]) => columns.map((column) => column.name).join(', ')

/**
 * One table's column description, from which both directions are derived: a row read with
 * `select` becomes a record (`toRecord`), a record becomes the values of an insert (`values`, in
 * `insertNames` order) and a partial record the assignments of an update (`assignments`).
 * `writeOnly` columns are written with the record's fields but not read back into it.
 */
export class Columns<R, W = Record<never, never>> {
  /** Column names to select, in declaration order. */
  readonly select: string
  /** Column names an insert of a whole record writes, in the order of `values`. */
  readonly insertNames: string
  readonly placeholders: string
  private readonly read: Column[]
  private readonly inserted: Column[]
  private readonly writable: Map<string, Column>

  constructor(spec: ColumnSpec<R>, writeOnly?: ColumnSpec<W>) {
    this.read = describe(spec)
    this.inserted = this.read.filter((column) => !column.storage.generated)
    this.writable = new Map(
      [...this.inserted, ...describe(writeOnly ?? {})].map((column) => [column.field, column]),
    )
    this.select = names(this.read)
    this.insertNames = names(this.inserted)
    this.placeholders = this.inserted.map(() => '?').join(', ')
  }

  /** The column a writable field is stored in. */
  column(field: keyof (R & W) & string): string {
    return this.writableColumn(field).name
  }

  toRecord(row: Row): R {
    const record: Record<string, unknown> = {}
    for (const { field, name, storage } of this.read) record[field] = storage.decode(row[name] ?? null)
    return record as R
  }

  values(record: R): SqlValue[] {
    const fields = record as Record<string, unknown>
    return this.inserted.map(({ field, storage }) => storage.encode(fields[field]))
  }

  /** `a = ?, b_json = ?` and its values, for the fields `patch` carries (an undefined one as null). */
  assignments(patch: Partial<R & W>): { sql: string; values: SqlValue[] } {
    const sets: string[] = []
    const values: SqlValue[] = []
    for (const [field, value] of Object.entries(patch)) {
      const column = this.writableColumn(field)
      sets.push(`${column.name} = ?`)
      values.push(column.storage.encode(value ?? null))
    }
    return { sql: sets.join(', '), values }
  }

  private writableColumn(field: string): Column {
    const column = this.writable.get(field)
    if (!column) throw new Error(`${field} is not a writable column`)
    return column
  }
}

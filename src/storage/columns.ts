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
  /** What the select hands back is the field's value already: nothing to decode. */
  readonly plain?: boolean
  /** The SQL expression that reads the column (by default the column itself). */
  readonly read?: (column: string) => string
  /**
   * The SQL expression that reads the column as the JSON value its field holds (what `jsonObject`
   * builds records from). A plain column needs none: its select is that value already.
   */
  readonly json?: (column: string) => string
  /**
   * Where the JSON reading may not be what `decode` gives: the SQL condition that holds for such a
   * value (a reader of these records then decodes them instead).
   */
  readonly jsonDoubt?: (column: string) => string
  encode(value: T): SqlValue
  decode(value: SqlValue): T
}

const plain = <T extends SqlValue>(): Storage<T> => ({
  suffix: '',
  generated: false,
  plain: true,
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

/** The INTEGER rowid, handed out as text (the original's ids are strings): SQLite casts it. */
export const rowId = (): Storage<string> => ({
  suffix: '',
  generated: true,
  plain: true,
  read: (column) => `CAST(${column} AS TEXT)`,
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
    // SQLite cannot merge in the defaults; a damaged value reads as null, as `decode` reads it.
    json: defaults ? undefined : (column) => `CASE WHEN json_valid(${column}) THEN json(${column}) END`,
    // What SQLite refuses, JSON.parse may still read: nested deeper than SQLite's 1,000 levels.
    jsonDoubt: defaults ? undefined : (column) => `(${column} IS NOT NULL AND NOT json_valid(${column}))`,
    encode: (value) => (value === null ? null : JSON.stringify(value)),
    decode: (value) => {
      if (value === null) return null as T
      if (!defaults) return parseStoredJson<T | null>(String(value), null) as T
      return { ...defaults(), ...parseStoredJson<Partial<T>>(String(value), {}) } as T
    },
  }
}

/** A JSON array of strings in `<field>_json`; anything else stored there reads as empty. */
export const stringList = (): Storage<string[]> => ({
  suffix: '_json',
  generated: false,
  encode: (value) => JSON.stringify(value ?? []),
  decode: (value) => {
    const list = parseStoredJson<unknown>(value === null ? null : String(value), [])
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []
  },
})

/** A JSON array of objects in `<field>_json` (validated where it came in); anything else reads as empty. */
export const jsonList = <T extends object>(): Storage<T[]> => ({
  suffix: '_json',
  generated: false,
  encode: (value) => JSON.stringify(value ?? []),
  decode: (value) => {
    const list = parseStoredJson<unknown>(value === null ? null : String(value), [])
    return Array.isArray(list)
      ? list.filter((item): item is T => typeof item === 'object' && item !== null)
      : []
  },
})

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

/** Each column read under its field's name, so a row comes back shaped as its record. */
const selection = (columns: Column[]) =>
  columns
    .map(({ field, name, storage }) => {
      const expression = storage.read ? storage.read(name) : name
      return expression === field ? field : `${expression} AS ${field}`
    })
    .join(', ')

/**
 * Row → record: the select already named every column after its field, so only the fields that
 * need decoding (JSON, flags) are replaced, in place: a page of events maps thousands of rows, and
 * building each record anew cost more than the SQL. Compiled once per table from the description's
 * own field names (quoted), never from data.
 */
function compileReader<R>(columns: Column[]): (row: Row) => R {
  const decoders = columns.map((column) => column.storage.decode)
  const steps = columns
    .map(({ field, storage }, i) => {
      const key = `row[${JSON.stringify(field)}]`
      return storage.plain ? '' : `${key} = decode[${i}](${key} ?? null);`
    })
    .join(' ')
  return new Function('decode', `return (row) => { ${steps} return row }`)(decoders) as (row: Row) => R
}

/**
 * One table's column description, from which both directions are derived: a row read with
 * `select` becomes a record (`toRecord`), a record becomes the values of an insert (`values`, in
 * `insertNames` order) and a partial record the assignments of an update (`assignments`).
 * `writeOnly` columns are written with the record's fields but not read back into it.
 */
export class Columns<R, W = Record<never, never>> {
  /** What to select, in declaration order: each column under its field's name. */
  readonly select: string
  /** Column names an insert of a whole record writes, in the order of `values`. */
  readonly insertNames: string
  readonly placeholders: string
  /** A row read with `select` as a record. */
  readonly toRecord: (row: Row) => R
  private readonly read: Column[]
  private readonly inserted: Column[]
  private readonly writable: Map<string, Column>

  constructor(spec: ColumnSpec<R>, writeOnly?: ColumnSpec<W>) {
    this.read = describe(spec)
    this.inserted = this.read.filter((column) => !column.storage.generated)
    this.writable = new Map(
      [...this.inserted, ...describe(writeOnly ?? {})].map((column) => [column.field, column]),
    )
    this.select = selection(this.read)
    this.insertNames = names(this.inserted)
    this.placeholders = this.inserted.map(() => '?').join(', ')
    this.toRecord = compileReader<R>(this.read)
  }

  /**
   * A `json_object(...)` expression that builds each row's record as JSON inside SQLite, with the
   * fields in declaration order, the values `toRecord` would give: a page of records is then
   * serialised without a JavaScript object per row. Only for tables whose every column has a JSON
   * reading.
   */
  jsonObject(): string {
    const pairs = this.read.map(({ field, name, storage }) => {
      const expression = storage.json?.(name) ?? (storage.plain ? (storage.read?.(name) ?? name) : null)
      if (expression === null) throw new Error(`${field} has no JSON reading`)
      return `'${field}', ${expression}`
    })
    return `json_object(${pairs.join(', ')})`
  }

  /** An SQL condition that holds for a row whose `jsonObject` may not be its record (see `jsonDoubt`). */
  jsonDoubts(): string {
    const doubts = this.read.flatMap(({ name, storage }) =>
      storage.jsonDoubt ? [storage.jsonDoubt(name)] : [],
    )
    return doubts.length > 0 ? `(${doubts.join(' OR ')})` : '0'
  }

  /** The column a writable field is stored in. */
  column(field: keyof (R & W) & string): string {
    return this.writableColumn(field).name
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

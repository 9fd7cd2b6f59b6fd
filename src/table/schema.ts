/**
 * The table's logical column types and their two external forms: DuckDB SQL types (how Tidemark
 * computes) and Avro schemas (how Hudi records the schema in `hoodie.properties` and commit
 * metadata). Pure.
 */
import { InvalidInputError, TableFormatError } from '../errors.ts';

/** The kinds without parameters, with their DuckDB SQL type and Avro type. */
const SIMPLE = {
  boolean: ['BOOLEAN', 'boolean'],
  int8: ['TINYINT', 'int'],
  int16: ['SMALLINT', 'int'],
  int32: ['INTEGER', 'int'],
  int64: ['BIGINT', 'long'],
  float32: ['FLOAT', 'float'],
  float64: ['DOUBLE', 'double'],
  string: ['VARCHAR', 'string'],
  binary: ['BLOB', 'bytes'],
  date: ['DATE', 'int:date'],
  timestamp: ['TIMESTAMPTZ', 'long:timestamp-micros'],
} as const;

/** A column's logical type. `timestamp` is microseconds, UTC-adjusted (DuckDB TIMESTAMPTZ). */
export type ColumnType =
  | { readonly kind: SimpleKind }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'list'; readonly element: ColumnType }
  | { readonly kind: 'map'; readonly key: ColumnType; readonly value: ColumnType }
  | { readonly kind: 'struct'; readonly fields: ReadonlyArray<Field> };

/** The kinds without parameters. */
export type SimpleKind = keyof typeof SIMPLE;

/** A named column or struct field. */
export interface Field {
  readonly name: string;
  readonly type: ColumnType;
}

/** The table's data columns (no Hudi meta columns), in order; every column is nullable. */
export type Schema = ReadonlyArray<Field>;

/** Largest decimal precision DuckDB (and Spark) can hold. */
export const MAX_DECIMAL_PRECISION = 38;

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The DuckDB SQL type for a column type, e.g. `STRUCT("a" INTEGER, "b" VARCHAR[])`. */
export function duckdbTypeSql(t: ColumnType): string {
  switch (t.kind) {
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'list':
      return `${duckdbTypeSql(t.element)}[]`;
    case 'map':
      return `MAP(${duckdbTypeSql(t.key)}, ${duckdbTypeSql(t.value)})`;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdentifier(f.name)} ${duckdbTypeSql(f.type)}`).join(', ')})`;
    default:
      return SIMPLE[t.kind][0];
  }
}

/** A human-readable rendering of a type for messages (the DuckDB SQL form). */
export function formatColumnType(t: ColumnType): string {
  return duckdbTypeSql(t);
}

// ---------------------------------------------------------------------------------------------
// To Avro

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Hudi's record name for a table: invalid Avro name characters become `__` (as Hudi's
 * `getAvroRecordQualifiedName` does), so `my-table` → record `my__table_record` in `hoodie.my__table`.
 */
export function avroRecordName(tableName: string): { readonly name: string; readonly namespace: string } {
  const sanitized = tableName.replace(/^[^A-Za-z_]/u, '__').replace(/[^A-Za-z0-9_]/gu, '__');
  return { name: `${sanitized}_record`, namespace: `hoodie.${sanitized}` };
}

/** Smallest byte count whose two's complement range holds every unscaled value of this precision. */
export function decimalFixedSize(precision: number): number {
  const limit = 10n ** BigInt(precision);
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) < limit) bytes++;
  return bytes;
}

/**
 * Avro for one type, named the way Spark's `SchemaConverters.toAvroType` names nested types (which is
 * what Hudi writes): a struct becomes a record named after its field in the parent record's full
 * name; a decimal a `fixed` named `fixed` in `<parent full name>.<field>`; list elements and map
 * values reuse the field's name and namespace.
 */
function avroType(t: ColumnType, fieldName: string, namespace: string, path: string): unknown {
  switch (t.kind) {
    case 'decimal':
      checkDecimal(t.precision, t.scale, path, (m, c) => new InvalidInputError(m, c));
      return {
        type: 'fixed',
        name: 'fixed',
        namespace: `${namespace}.${fieldName}`,
        size: decimalFixedSize(t.precision),
        logicalType: 'decimal',
        precision: t.precision,
        scale: t.scale,
      };
    case 'list':
      return { type: 'array', items: ['null', avroType(t.element, fieldName, namespace, `${path}[]`)] };
    case 'map':
      if (t.key.kind !== 'string') {
        const message = `Column "${path}" is ${formatColumnType(t)}: Hudi (Avro) map keys must be VARCHAR; cast them`;
        throw new InvalidInputError(message, { value: path });
      }
      return { type: 'map', values: ['null', avroType(t.value, fieldName, namespace, `${path}{}`)] };
    case 'struct':
      return avroRecord(fieldName, namespace, t.fields, path);
    default: {
      const [type, logicalType] = SIMPLE[t.kind][1].split(':');
      return logicalType === undefined ? type : { type, logicalType };
    }
  }
}

function avroRecord(name: string, namespace: string, fields: Schema, path: string | undefined): object {
  const fullName = `${namespace}.${name}`;
  const seen = new Set<string>();
  return {
    type: 'record',
    name,
    namespace,
    fields: fields.map((f) => {
      const fieldPath = path === undefined ? f.name : `${path}.${f.name}`;
      // Avro (and so Hudi/Spark) rejects such names when parsing the schema; fail before writing.
      if (!AVRO_NAME.test(f.name)) {
        const message = `Column "${fieldPath}" is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*); rename it`;
        throw new InvalidInputError(message, { value: fieldPath });
      }
      // Spark resolves names case-insensitively, so `a` and `A` would be one column to it.
      if (seen.has(f.name.toLowerCase())) {
        throw new InvalidInputError(`Column "${fieldPath}" appears twice (ignoring case)`, { value: fieldPath });
      }
      seen.add(f.name.toLowerCase());
      return { name: f.name, type: ['null', avroType(f.type, f.name, fullName, fieldPath)], default: null };
    }),
  };
}

/** Hudi's writer schema for the data columns, as in commit metadata `extraMetadata.schema`. */
export function toAvroSchema(tableName: string, schema: Schema): object {
  if (tableName === '') throw new InvalidInputError('A table name is required for its Avro schema');
  const { name, namespace } = avroRecordName(tableName);
  return avroRecord(name, namespace, schema, undefined);
}

/** `toAvroSchema` as compact JSON text (the form stored in commit metadata and hoodie.properties). */
export function avroSchemaJson(tableName: string, schema: Schema): string {
  return JSON.stringify(toAvroSchema(tableName, schema));
}

/** Throws (via `error`) unless precision and scale are integers DuckDB can hold. */
function checkDecimal(p: unknown, s: unknown, path: string, error: (m: string, c: { value: unknown }) => Error): void {
  const ok = Number.isInteger(p) && Number.isInteger(s) && (s as number) >= 0;
  if (!ok || (p as number) < 1 || (p as number) > MAX_DECIMAL_PRECISION || (s as number) > (p as number)) {
    const message = `Column "${path}" is decimal(${String(p)},${String(s)}); supported are precision 1..${MAX_DECIMAL_PRECISION}, scale 0..precision`;
    throw error(message, { value: path });
  }
}

// ---------------------------------------------------------------------------------------------
// From Avro

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ParseState {
  /** Named types (records, enums, fixed) by full name; `undefined` while a record is being parsed. */
  readonly named: Map<string, ColumnType | undefined>;
}

const unsupported = (path: string, what: string): TableFormatError =>
  new TableFormatError(`Avro schema: field "${path}" has unsupported type ${what}`, { value: path });

function fullNameOf(node: { [key: string]: Json }, enclosing: string): string {
  const name = String(node.name);
  if (name.includes('.')) return name;
  const ns = typeof node.namespace === 'string' ? node.namespace : enclosing;
  return ns === '' ? name : `${ns}.${name}`;
}

const FROM_AVRO_PRIMITIVE = new Map<string, SimpleKind>([
  ['boolean', 'boolean'], ['int', 'int32'], ['long', 'int64'], ['float', 'float32'],
  ['double', 'float64'], ['string', 'string'], ['bytes', 'binary'],
]);

function primitive(name: string, path: string, state: ParseState, namespace: string): ColumnType {
  const kind = FROM_AVRO_PRIMITIVE.get(name);
  if (kind !== undefined) return { kind };
  // A reference to a named type defined earlier, by full or namespace-relative name.
  const key = state.named.has(name) ? name : `${namespace}.${name}`;
  if (state.named.has(key)) {
    const t = state.named.get(key);
    if (t === undefined) throw unsupported(path, `"${name}" (a recursive record)`);
    return t;
  }
  throw unsupported(path, JSON.stringify(name));
}

function parseType(node: Json, path: string, state: ParseState, namespace: string): ColumnType {
  if (typeof node === 'string') return primitive(node, path, state, namespace);
  if (Array.isArray(node)) {
    // Nullable columns are unions of "null" and one type, in either order.
    const nonNull = node.filter((b) => b !== 'null');
    if (nonNull.length !== 1) throw unsupported(path, `union ${JSON.stringify(node)}`);
    return parseType(nonNull[0]!, path, state, namespace);
  }
  if (node === null || typeof node !== 'object') throw unsupported(path, JSON.stringify(node));
  const type = node.type;
  const logical = node.logicalType;
  // `{"type": {...}}` and `{"type": [...]}` nest a whole schema.
  if (type !== null && typeof type === 'object') return parseType(type, path, state, namespace);
  if (typeof type !== 'string') throw unsupported(path, JSON.stringify(node));
  if (logical === 'decimal' && (type === 'bytes' || type === 'fixed')) {
    const scale = node.scale ?? 0;
    checkDecimal(node.precision, scale, path, (m, c) => new TableFormatError(m, c));
    const t: ColumnType = { kind: 'decimal', precision: node.precision as number, scale: scale as number };
    if (type === 'fixed') state.named.set(fullNameOf(node, namespace), t);
    return t;
  }
  if (type === 'int' && logical === 'date') return { kind: 'date' };
  if (type === 'long' && typeof logical === 'string') {
    if (/^(local-)?timestamp-(millis|micros)$/.test(logical)) return { kind: 'timestamp' };
    // Nanosecond timestamps and times of day have no lossless Tidemark type.
    if (/nanos|^time-/.test(logical)) throw unsupported(path, `long (${logical})`);
  }
  if (type === 'int' && logical === 'time-millis') throw unsupported(path, 'int (time-millis)');
  switch (type) {
    case 'record': {
      const fullName = fullNameOf(node, namespace);
      state.named.set(fullName, undefined);
      const fields = parseFields(node.fields, path, state, fullName.slice(0, Math.max(0, fullName.lastIndexOf('.'))));
      if (fields.length === 0) throw unsupported(path, 'record with no fields');
      const t: ColumnType = { kind: 'struct', fields };
      state.named.set(fullName, t);
      return t;
    }
    case 'enum':
      state.named.set(fullNameOf(node, namespace), { kind: 'string' });
      return { kind: 'string' };
    case 'fixed': {
      const t: ColumnType = { kind: 'binary' };
      state.named.set(fullNameOf(node, namespace), t);
      return t;
    }
    case 'array':
      return { kind: 'list', element: parseType(node.items ?? null, `${path}[]`, state, namespace) };
    case 'map':
      return { kind: 'map', key: { kind: 'string' }, value: parseType(node.values ?? null, `${path}{}`, state, namespace) };
    default:
      // Unknown logical types are ignored, as the Avro specification requires of readers.
      return primitive(type, path, state, namespace);
  }
}

function parseFields(fields: Json | undefined, path: string | undefined, state: ParseState, namespace: string): Field[] {
  if (!Array.isArray(fields)) {
    throw new TableFormatError(`Avro schema: record ${path === undefined ? '' : `"${path}" `}has no "fields" array`);
  }
  return fields.map((f) => {
    if (f === null || typeof f !== 'object' || Array.isArray(f) || typeof f.name !== 'string') {
      throw new TableFormatError(`Avro schema: malformed field ${JSON.stringify(f)}`);
    }
    const fieldPath = path === undefined ? f.name : `${path}.${f.name}`;
    return { name: f.name, type: parseType(f.type ?? null, fieldPath, state, namespace) };
  });
}

/** Parses an Avro record schema written by Hudi/Spark (JSON text or parsed) into a Schema. */
export function fromAvroSchema(json: string | object): Schema {
  let root: Json;
  try {
    root = (typeof json === 'string' ? JSON.parse(json) : json) as Json;
  } catch (cause) {
    throw new TableFormatError('Avro schema is not valid JSON', { cause });
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root) || root.type !== 'record') {
    throw new TableFormatError('Avro schema: the table schema must be a record');
  }
  const fullName = fullNameOf(root, '');
  const namespace = fullName.slice(0, Math.max(0, fullName.lastIndexOf('.')));
  const state: ParseState = { named: new Map([[fullName, undefined]]) };
  return parseFields(root.fields, undefined, state, namespace);
}

// ---------------------------------------------------------------------------------------------
// Comparison and evolution

/** Structural type equality (struct fields compared by name, type and order). */
export function sameType(a: ColumnType, b: ColumnType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'decimal':
      return b.kind === 'decimal' && a.precision === b.precision && a.scale === b.scale;
    case 'list':
      return b.kind === 'list' && sameType(a.element, b.element);
    case 'map':
      return b.kind === 'map' && sameType(a.key, b.key) && sameType(a.value, b.value);
    case 'struct':
      if (b.kind !== 'struct' || a.fields.length !== b.fields.length) return false;
      return a.fields.every((f, i) => f.name === b.fields[i]!.name && sameType(f.type, b.fields[i]!.type));
    default:
      return true;
  }
}

/**
 * Numeric kinds each kind may be promoted to: Avro's schema-resolution promotions that Hudi's schema
 * evolution accepts (int→long/float/double, long→float/double, float→double), less those that cannot
 * hold every value of the narrower type (long→float/double and int→float round integers beyond 2^53
 * and 2^24), which Tidemark refuses rather than rewrite stored values. int8/int16/int32 are all
 * Avro `int`, so they also widen among themselves.
 */
const PROMOTIONS: Record<string, readonly string[]> = {
  int8: ['int16', 'int32', 'int64', 'float32', 'float64'],
  int16: ['int32', 'int64', 'float32', 'float64'],
  int32: ['int64', 'float64'],
  float32: ['float64'],
};

/** Promotions Avro allows but that round some values (int64 → float32/float64, int32 → float32). */
const LOSSY: Record<string, readonly string[]> = {
  int32: ['float32'],
  int64: ['float32', 'float64'],
};

/**
 * True when Avro would promote `from` to `to` but not every value survives (e.g. BIGINT → DOUBLE:
 * 9007199254740993 becomes …992). A stored column is never widened so; incoming values of `from`
 * are cast into a stored `to` column only when each one round-trips.
 */
export function isLossyPromotion(from: ColumnType, to: ColumnType): boolean {
  return LOSSY[from.kind]?.includes(to.kind) ?? false;
}

/**
 * The type that holds values of both `from` (e.g. the table's) and `to` (e.g. incoming data's) when
 * one widens to the other under Hudi's evolution rules, or undefined when neither does. Order of the
 * arguments does not matter except for struct field order: `from`'s fields first, then fields only
 * in `to`. Decimals widen in precision at equal scale; lists, map values and struct fields widen
 * recursively.
 */
export function widenType(from: ColumnType, to: ColumnType): ColumnType | undefined {
  if (sameType(from, to)) return from;
  if (PROMOTIONS[from.kind]?.includes(to.kind)) return to;
  if (PROMOTIONS[to.kind]?.includes(from.kind)) return from;
  if (from.kind === 'decimal' && to.kind === 'decimal') {
    return from.scale === to.scale ? (from.precision >= to.precision ? from : to) : undefined;
  }
  if (from.kind === 'list' && to.kind === 'list') {
    const element = widenType(from.element, to.element);
    return element === undefined ? undefined : { kind: 'list', element };
  }
  if (from.kind === 'map' && to.kind === 'map') {
    const key = sameType(from.key, to.key) ? from.key : undefined;
    const value = widenType(from.value, to.value);
    return key === undefined || value === undefined ? undefined : { kind: 'map', key, value };
  }
  if (from.kind === 'struct' && to.kind === 'struct') {
    const fields: Field[] = [];
    for (const f of from.fields) {
      const other = to.fields.find((g) => g.name === f.name);
      const type = other === undefined ? f.type : widenType(f.type, other.type);
      if (type === undefined) return undefined;
      fields.push({ name: f.name, type });
    }
    for (const g of to.fields) if (!from.fields.some((f) => f.name === g.name)) fields.push(g);
    return { kind: 'struct', fields };
  }
  return undefined;
}

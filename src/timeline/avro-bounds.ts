/**
 * A bounds check of Avro binary data against its writer schema, run before avsc decodes it. avsc
 * takes an array or map block's item count as it comes and reads past the end of its buffer without
 * stopping, so a corrupt count (a flipped byte claiming 2^31 items) makes it loop for minutes. This
 * walk moves over every datum the way a decoder would, without building values: each length, block
 * count and union branch is checked against the bytes left, so the walk ends in time proportional
 * to the bytes (items that take no bytes at all are capped), and the first impossible value is a
 * `TableFormatError`.
 */
import { TableFormatError } from '../errors.ts';

type Node =
  | { readonly kind: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string' }
  | { readonly kind: 'fixed'; readonly size: number }
  | { readonly kind: 'enum'; readonly symbols: number }
  | { readonly kind: 'union'; readonly branches: Node[] }
  | { readonly kind: 'array'; items: Node }
  | { readonly kind: 'map'; values: Node }
  | { readonly kind: 'record'; readonly fields: Node[] };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
/** Items that take no bytes (nulls, empty records) one datum may hold; beyond, the data is refused. */
const MAX_EMPTY_ITEMS = 10_000;
const MAX_DEPTH = 128;

/** The shape of one writer schema (a parsed JSON schema), reusable for any number of data. */
export class AvroShape {
  private readonly named = new Map<string, Node>();
  private readonly root: Node;
  private readonly minSizes = new Map<Node, number>();

  constructor(schema: unknown) {
    this.root = this.compile(schema, '');
  }

  /**
   * Walks one datum from `pos`; returns where it ends. Raises a `TableFormatError` (naming `what`)
   * when a value cannot fit before `end`.
   */
  check(bytes: Uint8Array, pos: number, end: number, what: string): number {
    const c = new Cursor(bytes, pos, Math.min(end, bytes.length), what);
    this.walk(this.root, c, 0);
    return c.pos;
  }

  private compile(schema: unknown, namespace: string): Node {
    if (typeof schema === 'string') {
      if (PRIMITIVES.has(schema)) return { kind: schema as 'null' };
      const found = this.lookup(schema, namespace);
      if (found === undefined) throw new TableFormatError(`Avro schema names an unknown type "${schema}"`);
      return found;
    }
    if (Array.isArray(schema)) return { kind: 'union', branches: schema.map((s) => this.compile(s, namespace)) };
    if (typeof schema !== 'object' || schema === null) throw new TableFormatError(`Avro schema has an unreadable type ${JSON.stringify(schema)}`);
    const s = schema as Record<string, unknown>;
    const type = s.type;
    if (typeof type !== 'string' || !['record', 'error', 'enum', 'fixed', 'array', 'map'].includes(type)) return this.compile(type, namespace);
    if (type === 'array') return { kind: 'array', items: this.compile(s.items, namespace) };
    if (type === 'map') return { kind: 'map', values: this.compile(s.values, namespace) };
    const name = String(s.name ?? '');
    const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof s.namespace === 'string' ? s.namespace : namespace;
    const fullName = name.includes('.') || ns === '' ? name : `${ns}.${name}`;
    if (type === 'fixed') return this.define(fullName, { kind: 'fixed', size: Number(s.size) });
    if (type === 'enum') return this.define(fullName, { kind: 'enum', symbols: Array.isArray(s.symbols) ? s.symbols.length : 0 });
    // A record is registered before its fields are compiled: they may refer to it (recursion).
    const record: { kind: 'record'; fields: Node[] } = { kind: 'record', fields: [] };
    this.define(fullName, record);
    for (const f of Array.isArray(s.fields) ? (s.fields as Array<Record<string, unknown>>) : []) record.fields.push(this.compile(f.type, ns));
    return record;
  }

  private define(fullName: string, node: Node): Node {
    this.named.set(fullName, node);
    return node;
  }

  private lookup(name: string, namespace: string): Node | undefined {
    const exact = this.named.get(name) ?? (namespace === '' ? undefined : this.named.get(`${namespace}.${name}`));
    if (exact !== undefined) return exact;
    for (const [full, node] of this.named) if (full.slice(full.lastIndexOf('.') + 1) === name) return node;
    return undefined;
  }

  /** The fewest bytes a datum of `node` takes (a recursive type counts 0 while being measured). */
  private minSize(node: Node): number {
    const known = this.minSizes.get(node);
    if (known !== undefined) return known;
    this.minSizes.set(node, 0);
    let size: number;
    switch (node.kind) {
      case 'null':
        size = 0;
        break;
      case 'float':
        size = 4;
        break;
      case 'double':
        size = 8;
        break;
      case 'fixed':
        size = node.size;
        break;
      case 'union':
        size = 1 + Math.min(...node.branches.map((b) => this.minSize(b)));
        break;
      case 'record':
        size = node.fields.reduce((n, f) => n + this.minSize(f), 0);
        break;
      default:
        size = 1; // a varint, a length, or a block list's closing zero
    }
    this.minSizes.set(node, size);
    return size;
  }

  private walk(node: Node, c: Cursor, depth: number): void {
    if (depth > MAX_DEPTH) c.fail(`nesting deeper than ${MAX_DEPTH}`);
    switch (node.kind) {
      case 'null':
        return;
      case 'boolean':
        c.skip(1);
        return;
      case 'int':
      case 'long':
        c.long();
        return;
      case 'float':
        c.skip(4);
        return;
      case 'double':
        c.skip(8);
        return;
      case 'bytes':
      case 'string': {
        const n = c.long();
        if (n < 0) c.fail(`negative length ${n}`);
        c.skip(n);
        return;
      }
      case 'fixed':
        c.skip(node.size);
        return;
      case 'enum': {
        const i = c.long();
        if (i < 0 || i >= node.symbols) c.fail(`enum index ${i} of ${node.symbols} symbols`);
        return;
      }
      case 'union': {
        const i = c.long();
        if (i < 0 || i >= node.branches.length) c.fail(`union branch ${i} of ${node.branches.length}`);
        this.walk(node.branches[i]!, c, depth + 1);
        return;
      }
      case 'record':
        for (const f of node.fields) this.walk(f, c, depth + 1);
        return;
      case 'array':
      case 'map': {
        const item = node.kind === 'array' ? node.items : node.values;
        const itemSize = this.minSize(item) + (node.kind === 'map' ? 1 : 0);
        for (let n = c.long(); n !== 0; n = c.long()) {
          if (n < 0) {
            n = -n;
            const size = c.long();
            if (size < 0 || size > c.left()) c.fail(`block of ${size} bytes with ${c.left()} left`);
          }
          if (itemSize > 0 ? n > c.left() / itemSize : (c.empty += n) > MAX_EMPTY_ITEMS) c.fail(`block of ${n} items with ${c.left()} bytes left`);
          for (let k = 0; k < n; k++) {
            if (node.kind === 'map') this.walk({ kind: 'string' }, c, depth + 1);
            this.walk(item, c, depth + 1);
          }
        }
        return;
      }
    }
  }
}

class Cursor {
  /** Items taking no bytes met so far. */
  empty = 0;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  fail(problem: string): never {
    throw new TableFormatError(`${this.what}: not valid Avro at byte ${this.pos}: ${problem}`);
  }

  left(): number {
    return this.end - this.pos;
  }

  skip(n: number): void {
    if (n > this.end - this.pos) this.fail(`${n} bytes needed, ${this.end - this.pos} left`);
    this.pos += n;
  }

  /** A zig-zag varint (int or long); exact up to 2^53, only compared beyond. */
  long(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a number runs past the end');
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      scale *= 128;
    }
    return this.fail('a number longer than 10 bytes');
  }
}

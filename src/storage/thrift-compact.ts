/**
 * The Thrift compact protocol, as much of it as Parquet footers need: a bounds-checked reader that
 * can skip any value generically, and a writer of field headers, varints and binaries. Errors are
 * `TableFormatError`s ("malformed Parquet footer") naming the byte.
 */
import { TableFormatError } from '../errors.ts';

/** Compact protocol type codes. */
export const T = { STOP: 0, TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12, UUID: 13 } as const;

export class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private fail(what: string): never {
    throw new TableFormatError(`malformed Parquet footer: ${what} at byte ${this.pos} of ${this.bytes.length}`);
  }

  byte(): number {
    if (this.pos >= this.bytes.length) this.fail('unexpected end');
    return this.bytes[this.pos++]!;
  }

  /** An unsigned varint; exact up to 2^53. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail(`length ${n} past the end`);
    this.pos += n;
  }

  binary(): Uint8Array {
    const n = this.varint();
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, start + n);
  }

  /** Reads a field header; undefined at STOP. `last` is the previous field id of the struct. */
  fieldHeader(last: number): { id: number; type: number } | undefined {
    const b = this.byte();
    if (b === T.STOP) return undefined;
    const type = b & 0x0f;
    const delta = b >> 4;
    return { id: delta === 0 ? this.zigzag() : last + delta, type };
  }

  listHeader(): { size: number; type: number } {
    const b = this.byte();
    const size = b >> 4 === 15 ? this.varint() : b >> 4;
    return { size, type: b & 0x0f };
  }

  /** Skips one value of `type`; `depth` guards against hostile nesting. */
  skipValue(type: number, depth = 0): void {
    if (depth > 64) this.fail('nesting deeper than 64');
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return; // a struct field's boolean lives in its header
      case T.BYTE:
        this.skip(1);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint();
        return;
      case T.DOUBLE:
        this.skip(8);
        return;
      case T.BINARY:
        this.binary();
        return;
      case T.UUID:
        this.skip(16);
        return;
      case T.LIST:
      case T.SET: {
        const { size, type: element } = this.listHeader();
        for (let i = 0; i < size; i++) {
          if (element === T.TRUE || element === T.FALSE) this.skip(1); // booleans in containers take a byte
          else this.skipValue(element, depth + 1);
        }
        return;
      }
      case T.MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          for (const t of [types >> 4, types & 0x0f]) {
            if (t === T.TRUE || t === T.FALSE) this.skip(1);
            else this.skipValue(t, depth + 1);
          }
        }
        return;
      }
      case T.STRUCT: {
        let last = 0;
        for (let h = this.fieldHeader(last); h !== undefined; h = this.fieldHeader(last)) {
          this.skipValue(h.type, depth + 1);
          last = h.id;
        }
        return;
      }
      default:
        this.fail(`unknown Thrift type ${type}`);
    }
  }
}

export class Writer {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private flushed = 0; // bytes in `chunks`

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.flushed += this.scratch.length;
    this.scratch = [];
  }

  byte(b: number): void {
    this.scratch.push(b & 0xff);
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }

  bytes(b: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(b);
    this.flushed += b.length;
  }

  binary(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }

  fieldHeader(id: number, type: number, last: number): void {
    const delta = id - last;
    if (delta > 0 && delta <= 15) {
      this.byte((delta << 4) | type);
    } else {
      this.byte(type);
      this.varint(id >= 0 ? id * 2 : -id * 2 - 1); // zigzag i16
    }
  }

  /**
   * Everything written, as the arrays it was given (not copied: large values stay where they are)
   * and the bytes written between them, in order.
   */
  parts(): Uint8Array[] {
    this.flushScratch();
    return [...this.chunks];
  }

  /** Everything written, in one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.byteLength());
    let at = 0;
    for (const c of this.parts()) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Bytes written so far. */
  byteLength(): number {
    return this.flushed + this.scratch.length;
  }
}

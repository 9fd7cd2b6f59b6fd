/** Small byte and value helpers shared by the timeline's binary formats (Avro containers, Hudi's log format). */

/** A big-endian 32-bit integer. */
export function int32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v);
  return out;
}

/** A big-endian 64-bit integer (from a safe JavaScript integer). */
export function int64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(v));
  return out;
}

/** The parts, one after the other. */
export function concat(parts: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A plain-object copy of a decoded avsc value (records are class instances). */
export function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  // Defined, not assigned: a key `__proto__` stays an own property.
  for (const [key, v] of Object.entries(value)) Object.defineProperty(out, key, { value: toPlain(v), enumerable: true, writable: true, configurable: true });
  return out;
}

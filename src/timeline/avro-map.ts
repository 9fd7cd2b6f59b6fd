/**
 * avsc reads an Avro map into a plain object by assignment, so a key named `__proto__` (a partition
 * path, an extra-metadata key) would set the object's prototype and vanish. This map type reads
 * every key as an own, enumerable property; everything else is avsc's. Used through `typeHook`.
 */
import avro from 'avsc';

interface Tap {
  readLong(): number;
  skipLong(): void;
  readString(): string;
}
interface ReadableType {
  _read(tap: Tap): unknown;
}

class OwnKeysMapType extends (avro.types.MapType as unknown as new (schema: object, opts: object) => avro.types.MapType) {
  _read(tap: Tap): Record<string, unknown> {
    const values = this.valuesType as unknown as ReadableType;
    const out: Record<string, unknown> = {};
    for (let n = blockSize(tap); n > 0; n = blockSize(tap)) {
      for (; n > 0; n--) {
        const key = tap.readString();
        Object.defineProperty(out, key, { value: values._read(tap), enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  }
}

// A block's item count; a negative count is followed by the block's size in bytes (skipped).
function blockSize(tap: Tap): number {
  const n = tap.readLong();
  if (n >= 0) return n;
  tap.skipLong();
  return -n;
}

/** avsc's `typeHook` option: maps read with own keys. */
export function ownKeysMaps(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'map') {
    return new OwnKeysMapType(schema, opts);
  }
  return undefined;
}

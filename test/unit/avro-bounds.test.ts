/**
 * The Avro bounds walk that runs before avsc decodes untrusted bytes: on valid data it ends exactly
 * where avsc's decoder ends (random values of a schema using every Avro type, written by avsc); on
 * truncated data and on impossible lengths, counts and branches it raises a TableFormatError instead
 * of letting avsc loop over a corrupt item count.
 */
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TableFormatError } from '../../src/errors.ts';
import { AvroShape } from '../../src/timeline/avro-bounds.ts';

const NS = 'org.example';
const EVERY_TYPE = {
  type: 'record',
  name: `${NS}.Everything`,
  fields: [
    { name: 'n', type: 'null' },
    { name: 'b', type: 'boolean' },
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'fx', type: { type: 'fixed', name: 'Sixteen', size: 16 } },
    { name: 'e', type: { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN', 'BLUE'] } },
    { name: 'u', type: ['null', 'string', { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'long' }] }] },
    { name: 'a', type: { type: 'array', items: 'Inner' } },
    { name: 'm', type: { type: 'map', values: { type: 'array', items: 'string' } } },
    { name: 'again', type: 'Sixteen' },
    { name: 'list', type: ['null', { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'Node'] }] }] },
  ],
};

const zigzag = (n: number): number[] => {
  const out: number[] = [];
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};

describe('Avro bounds walk', () => {
  const type = avro.Type.forSchema(EVERY_TYPE as avro.Schema);
  const shape = new AvroShape(EVERY_TYPE);

  it('ends where avsc ends on valid data, and refuses every truncation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        let s = seed;
        const value: unknown = type.random(); // avsc draws its own random value of the schema
        const bytes = type.toBuffer(value);
        expect(shape.check(bytes, 0, bytes.length, 'datum')).toBe(bytes.length);
        // Two data back to back: the first ends where the second starts.
        const two = Buffer.concat([bytes, bytes]);
        expect(shape.check(two, 0, two.length, 'datum')).toBe(bytes.length);
        s = (s * 7919) % bytes.length;
        expect(() => shape.check(bytes, 0, s, 'datum')).toThrow(TableFormatError);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses item counts, lengths and branches the bytes cannot hold', () => {
    const strings = new AvroShape({ type: 'array', items: 'string' });
    expect(() => strings.check(Uint8Array.from([...zigzag(2 ** 31), 2, 97, 0]), 0, 4 + 4, 'list')).toThrow(/block of 2147483648 items/);
    expect(strings.check(Uint8Array.from([...zigzag(2), 2, 97, 2, 98, 0]), 0, 6, 'list')).toBe(6);
    const blocked = Uint8Array.from([...zigzag(-1), ...zigzag(50), 2, 97, 0]);
    expect(() => strings.check(blocked, 0, blocked.length, 'list')).toThrow(/block of 50 bytes/);
    const map = new AvroShape({ type: 'map', values: 'bytes' });
    expect(() => map.check(Uint8Array.from([...zigzag(1e9), 2, 97, 0, 0]), 0, 9, 'meta')).toThrow(TableFormatError);
    const str = new AvroShape('string');
    expect(() => str.check(Uint8Array.from(zigzag(-3)), 0, 1, 's')).toThrow(/negative length/);
    expect(() => str.check(Uint8Array.from([...zigzag(10), 97]), 0, 2, 's')).toThrow(/10 bytes needed/);
    const union = new AvroShape(['null', 'string']);
    expect(() => union.check(Uint8Array.from(zigzag(2)), 0, 1, 'u')).toThrow(/union branch 2 of 2/);
    const colour = new AvroShape({ type: 'enum', name: 'C', symbols: ['A'] });
    expect(() => colour.check(Uint8Array.from(zigzag(1)), 0, 1, 'e')).toThrow(/enum index 1 of 1/);
    expect(() => str.check(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0, 11, 's')).toThrow(/longer than 10 bytes/);
  });

  it('caps items that take no bytes (a corrupt count of nulls would otherwise be walked item by item)', () => {
    const nulls = new AvroShape({ type: 'array', items: 'null' });
    expect(nulls.check(Uint8Array.from([...zigzag(10), 0]), 0, 3, 'nulls')).toBe(2);
    expect(() => nulls.check(Uint8Array.from([...zigzag(2 ** 40), 0]), 0, 8, 'nulls')).toThrow(/items/);
  });
});

/**
 * The strict base64 codec of Hudi's bloom filters: the fast path (Node's native decoder, accepted
 * only at the exact length and without base64url characters) decodes, or refuses, exactly what the
 * alphabet-by-alphabet definition below does, on arbitrary text mixing the alphabet, padding,
 * white space, base64url and non-ASCII characters; decoding the same text from its stored bytes
 * (UTF-8, as a Parquet footer holds it) does too. `Base64Text`'s edits give exactly the full
 * encoding of the changed bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Text, decodeBase64, encodeBase64, encodeBase64Bytes } from '../../src/table/base64.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));

/** RFC 4648 base64, standard alphabet, at most two '=' and only at the end (padding optional). */
function reference(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text[end - 1] === '=') end--;
  if (end % 4 === 1 || (end < text.length && text.length % 4 !== 0)) throw new Error('impossible length');
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of text.slice(0, end)) {
    const v = VALUES.get(c);
    if (v === undefined) throw new Error('invalid character');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) out.push((acc >>> (bits -= 8)) & 0xff);
  }
  return Uint8Array.from(out);
}

const outcome = (f: () => Uint8Array): string => {
  try {
    return Buffer.from(f()).toString('hex');
  } catch {
    return 'refused';
  }
};

describe('base64', () => {
  it('decodes or refuses exactly what the definition does', () => {
    const char = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ALPHABET) }, { weight: 1, arbitrary: fc.constantFrom('=', '-', '_', ' ', '\n', '!', 'é', '\u0000', '.') });
    fc.assert(
      fc.property(fc.array(char, { maxLength: 14 }), fc.constantFrom('', '=', '=='), (chars, pad) => {
        const text = chars.join('') + pad;
        const expected = outcome(() => reference(text));
        expect(outcome(() => decodeBase64(text, 'test'))).toBe(expected);
        expect(outcome(() => decodeBase64(new TextEncoder().encode(text), 'test'))).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it('round-trips bytes of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(Buffer.from(decodeBase64(text, 'test')).equals(Buffer.from(bytes))).toBe(true);
        expect(Buffer.from(decodeBase64(text.replace(/=+$/, ''), 'test')).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('encodes a view into a larger buffer as its own bytes, as text and as ASCII bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), fc.nat(8), (bytes, before, after) => {
        const backing = new Uint8Array(before + bytes.length + after).fill(0xa5);
        backing.set(bytes, before);
        const view = backing.subarray(before, before + bytes.length);
        const expected = Buffer.from(bytes).toString('base64');
        expect(encodeBase64(view)).toBe(expected);
        expect(Buffer.from(encodeBase64Bytes(view)).toString('latin1')).toBe(expected);
      }),
    );
  });

  it('names the invalid character when decoding stored bytes', () => {
    const bytes = new TextEncoder().encode('QUJD-EFG');
    expect(() => decodeBase64(bytes, 'stored filter')).toThrow(/stored filter: invalid base64 character "-" at 4/);
    expect(() => decodeBase64(Uint8Array.of(0x51, 0x55, 0x4a, 0xc3), 'stored filter')).toThrow(/invalid base64 character/);
  });

  it('edits a text in place group by group into exactly the full encoding of the edited bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.uint8Array({ maxLength: 12 })), { maxLength: 5 }),
        fc.nat(3),
        (bytes, edits, shift) => {
          const backing = new Uint8Array(Math.ceil(bytes.length / 3) * 4 + shift);
          backing.set(encodeBase64Bytes(bytes), shift);
          const text = Base64Text.of(backing.subarray(shift), bytes.length)!;
          expect(text).toBeDefined();
          expect(Buffer.from(text.read(0, bytes.length))).toEqual(Buffer.from(bytes));
          const copy = text.copy();
          const expected = bytes.slice();
          for (const [or, at, change] of edits) {
            const from = at % bytes.length;
            const part = change.subarray(0, bytes.length - from);
            if (or) {
              copy.or(from, part);
              part.forEach((b, i) => (expected[from + i] |= b));
            } else {
              copy.write(from, part);
              expected.set(part, from);
            }
          }
          expect(Buffer.from(copy.text).toString('latin1')).toBe(Buffer.from(expected).toString('base64'));
          expect(Buffer.from(copy.read(1 % bytes.length, bytes.length))).toEqual(Buffer.from(expected.subarray(1 % bytes.length)));
          expect(Buffer.from(text.text).toString('latin1')).toBe(Buffer.from(bytes).toString('base64')); // the copy was edited
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes as editable text only the canonical, padded encoding of the given size', () => {
    const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
    expect(Base64Text.of(ascii('AQIDBA=='), 4)).toBeDefined();
    expect(Base64Text.of(ascii('AQIDBA=='), 5)).toBeUndefined(); // another size
    expect(Base64Text.of(ascii('AQIDBA'), 4)).toBeUndefined(); // unpadded
    expect(Buffer.from(decodeBase64(ascii('AQIDBB=='), 'test'))).toEqual(Buffer.from(Uint8Array.of(1, 2, 3, 4))); // stray bits decode the same,
    expect(Base64Text.of(ascii('AQIDBB=='), 4)).toBeUndefined(); // but are not the encoding this writer keeps
    expect(Base64Text.of(ascii('AQ-DBA=='), 4)).toBeUndefined(); // base64url
    expect(Base64Text.of(ascii('AQIDBA=A'), 4)).toBeUndefined(); // padding inside
    expect(Base64Text.of(ascii('AQIDBAU='), 5)).toBeDefined();
    expect(Base64Text.of(ascii('AQIDBAU='), 4)).toBeUndefined();
    expect(() => Base64Text.of(ascii('AQIDBA=='), 4)!.read(3, 5)).toThrow(RangeError);
  });
});

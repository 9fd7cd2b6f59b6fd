/**
 * How Hudi sizes a bloom filter row for its options (BloomFilterUtils): bits = ceil(n·-ln p / ln²2),
 * hashes = ceil(ln2·bits / n). Pure: no I/O.
 */
import { InvalidArgumentError } from '../errors.ts';

/** Sizing of a dynamic filter: keys per row, target false-positive rate, keys before rows stop growing. */
export interface BloomFilterOptions {
  readonly numEntries: number;
  readonly fpp: number;
  readonly maxEntries: number;
}

const INT32_MAX = 0x7fffffff;

/** A row's size in bits and the number of hashes per key for `options`; throws on options Hudi could not use. */
export function bloomSizing(options: BloomFilterOptions): { vectorSize: number; nbHash: number } {
  const { numEntries, fpp, maxEntries } = options;
  for (const [name, value, min] of [['numEntries', numEntries, 1], ['maxEntries', maxEntries, 0]] as const) {
    if (!Number.isInteger(value) || value < min || value > INT32_MAX) {
      throw new InvalidArgumentError(`bloom filter ${name} must be an integer in ${min}..${INT32_MAX}, got ${value}`);
    }
  }
  if (!(fpp > 0 && fpp < 1)) throw new InvalidArgumentError(`bloom filter fpp must be in (0, 1), got ${fpp}`);
  // Same double arithmetic, in the same order, as Hudi's BloomFilterUtils.
  const log2Squared = Math.log(2) * Math.log(2);
  const vectorSize = Math.ceil(numEntries * (-Math.log(fpp) / log2Squared));
  if (vectorSize > INT32_MAX) throw new InvalidArgumentError(`bloom filter of ${vectorSize} bits is too large`);
  return { vectorSize, nbHash: Math.ceil((Math.log(2) * vectorSize) / numEntries) };
}

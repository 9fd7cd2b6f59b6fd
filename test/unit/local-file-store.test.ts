/**
 * LocalFileStore.readBytes: exactly the bytes of the range asked for, and at the end of the file
 * only those that exist (its buffer is not zero-filled first, so nothing past a short read may
 * show through the result).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { useTempDir } from '../support/temp-dir.ts';

describe('LocalFileStore.readBytes', () => {
  const dir = useTempDir('store');
  const store = new LocalFileStore();
  const file = path.join(dir, 'data.bin');
  const content = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 0xff);
  fs.writeFileSync(file, content);

  it('reads a range, and only what exists of a range past the end', async () => {
    expect(Buffer.from(await store.readBytes(file, 1_000, 70_000)).equals(Buffer.from(content.subarray(1_000, 71_000)))).toBe(true);
    const tail = await store.readBytes(file, content.length - 5, 200_000);
    expect([...tail]).toEqual([...content.subarray(content.length - 5)]);
    expect(tail.buffer.byteLength).toBe(5); // a copy: the unread rest of the buffer is not reachable
    expect((await store.readBytes(file, content.length + 10, 16)).length).toBe(0);
  });

  it('names the file it cannot read', async () => {
    await expect(store.readBytes(path.join(dir, 'missing.bin'), 0, 8)).rejects.toThrow(/missing\.bin/);
  });
});

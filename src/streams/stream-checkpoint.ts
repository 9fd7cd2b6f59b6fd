/**
 * A stream checkpoint in Hudi's format, as HoodieStreamer's Kafka source keeps it in a commit's
 * `extraMetadata` under `deltastreamer.checkpoint.key` (table version 6): `topic,0:123,1:456`, the
 * topic (here also a NATS stream's name) then, per partition, the offset the next read starts at
 * (one past the last message consumed). Pure: no I/O.
 */
import { TableFormatError } from '../errors.ts';

/** The `extraMetadata` key of the checkpoint on table version 6 (`streamer.checkpoint.key.v2` on 8+). */
export const CHECKPOINT_KEY = 'deltastreamer.checkpoint.key';

/** A checkpoint: the stream's name, and per partition the next offset to read. */
export interface StreamCheckpoint {
  readonly name: string;
  readonly offsets: ReadonlyMap<number, bigint>;
}

/** `name,0:123,1:456`, partitions in order. */
export function formatCheckpoint(checkpoint: StreamCheckpoint): string {
  const parts = [...checkpoint.offsets].sort(([a], [b]) => a - b).map(([p, o]) => `${p}:${o}`);
  return [checkpoint.name, ...parts].join(',');
}

/** Parses a checkpoint; `where` (the commit it was read from) is named when it is malformed. */
export function parseCheckpoint(text: string, where: string): StreamCheckpoint {
  // Kafka topic and JetStream stream names hold no commas, so the first field is the name.
  const [name = '', ...fields] = text.split(',');
  const offsets = new Map<number, bigint>();
  for (const field of fields) {
    const m = /^(\d+):(\d+)$/.exec(field);
    if (name === '' || m === null || offsets.has(Number(m[1]))) {
      throw new TableFormatError(`the stream checkpoint ${JSON.stringify(text)} in ${where} is not "topic,partition:offset,…"`, { value: text });
    }
    offsets.set(Number(m[1]), BigInt(m[2]!));
  }
  if (name === '') throw new TableFormatError(`the stream checkpoint ${JSON.stringify(text)} in ${where} names no topic`, { value: text });
  return { name, offsets };
}

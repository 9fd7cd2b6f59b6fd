/**
 * The stream port: what a pipeline needs of a log of messages split into partitions (a Kafka topic,
 * a NATS JetStream stream): each partition's retained offsets, and the messages of bounded offset
 * ranges. Offsets are whole numbers, increasing within a partition; a range is [from, to), `to`
 * being the offset after the last message read, which is what a checkpoint stores (as Hudi's
 * Kafka source does). Adapters: `kafka-stream.ts` (kafkajs), `nats-stream.ts` (JetStream, one
 * partition whose offsets are the stream's sequence numbers).
 */

/** The offsets a partition holds now. */
export interface PartitionOffsets {
  readonly partition: number;
  /** The first offset still retained (messages below it were deleted by retention or a purge). */
  readonly earliest: bigint;
  /** The offset the next message will get (one past the last message); equals `earliest` when empty. */
  readonly latest: bigint;
}

/** A bounded range of one partition: offsets `from` (inclusive) to `to` (exclusive). */
export interface OffsetRange {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/** One message as read. */
export interface StreamMessage {
  readonly partition: number;
  readonly offset: bigint;
  /** When the broker stored (or the producer stamped) the message; null when the broker gives none. */
  readonly timestamp: Date | null;
  /** The message key (Kafka) or subject (NATS), decoded as UTF-8; null when absent. */
  readonly key: string | null;
  /** The message value, undecoded; null for a Kafka tombstone. */
  readonly value: Uint8Array | null;
}

/** A connected stream. */
export interface StreamClient {
  /** The topic or stream name, as it goes into a checkpoint (`topic,0:12,1:40`). */
  readonly name: string;
  /** Every partition with its retained offsets, taken now; sorted by partition. */
  partitions(): Promise<PartitionOffsets[]>;
  /**
   * Reads exactly the messages of `ranges` (each within the partition's retained offsets), handing
   * them to `onBatch` in offset order within each partition. Offsets the broker no longer has
   * (a compacted topic, a deleted NATS message) are simply absent. Resolves once every range is read;
   * rejects if a range cannot be read completely (e.g. retention deleted part of it meanwhile).
   */
  read(ranges: ReadonlyArray<OffsetRange>, onBatch: (messages: ReadonlyArray<StreamMessage>) => Promise<void> | void): Promise<void>;
  /** Closes the connections; harmless twice. */
  close(): Promise<void>;
}

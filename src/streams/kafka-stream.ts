/**
 * The stream port on a Kafka topic, with kafkajs. Offsets come from the admin client; a read is a
 * consumer of a fresh, random group that never commits: kafkajs cannot assign partitions by hand,
 * so the consumer subscribes, seeks each assigned partition to its range's start once the group is
 * joined (seeks only take once `run()` has started), and pauses a partition when its range is read.
 * Joining the group takes the broker's initial rebalance delay (about 3 s by default). A range
 * starting below the retained offsets is refused before reading; one that retention overtakes
 * during the read is not detected (kafkajs moves an out-of-range position to the earliest offset).
 */
import { randomUUID } from 'node:crypto';
import { type Admin, type Batch, type Consumer, Kafka, type KafkaMessage, type SASLOptions, logLevel } from 'kafkajs';
import { StorageError, messageOf } from '../errors.ts';
import { rangesToRead } from './offset-ranges.ts';
import type { OffsetRange, PartitionOffsets, StreamClient, StreamMessage } from './stream-port.ts';

/** How to reach a Kafka topic. */
export interface KafkaStreamOptions {
  /** `host:port` of the bootstrap brokers: a list, or one string (comma-separated for several). */
  readonly brokers: string | readonly string[];
  readonly topic: string;
  /** The client id the brokers see (default `tidemark`). */
  readonly clientId?: string;
  /** Connect with TLS (default false). */
  readonly ssl?: boolean;
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
  /** How long to wait for a broker connection (kafkajs's `connectionTimeout`, default 1,000 ms). */
  readonly connectionTimeoutMs?: number;
  /**
   * A read that gets no message of its ranges for this long fails (milliseconds; default 120,000)
   * rather than waiting forever, e.g. for offsets compaction removed at the end of a range.
   */
  readonly stallTimeoutMs?: number;
}

const STALL_TIMEOUT_MS = 120_000;

type BatchHandler = (messages: ReadonlyArray<StreamMessage>) => Promise<void> | void;

/** Connects to the brokers and checks the topic exists (it is never created); the caller must `close()` the client. */
export async function openKafkaStream(options: KafkaStreamOptions): Promise<StreamClient> {
  const brokers = (typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers]).map((b) => b.trim()).filter((b) => b !== '');
  const where = `Kafka topic "${options.topic}" at ${brokers.join(',')}`;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'tidemark',
    brokers,
    ssl: options.ssl ?? false,
    ...(options.sasl === undefined ? {} : { sasl: saslOptions(options.sasl) }),
    ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeout: options.connectionTimeoutMs }),
    // Errors reach the caller; kafkajs's own log lines would only repeat them on the console.
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new StorageError(`${where}: cannot connect: ${messageOf(error)}`, { cause: error });
  }
  const client = new KafkaStream(kafka, admin, options.topic, where, options.stallTimeoutMs ?? STALL_TIMEOUT_MS);
  try {
    await client.partitions();
  } catch (error) {
    await client.close().catch(() => undefined); // the check's error is the one to report
    throw error;
  }
  return client;
}

/** kafkajs's SASL options (a union by mechanism) from ours. */
function saslOptions(sasl: NonNullable<KafkaStreamOptions['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** One message of a fetched batch, as the port gives it. */
function toStreamMessage(partition: number, offset: bigint, message: KafkaMessage): StreamMessage {
  const millis = Number(message.timestamp);
  return {
    partition,
    offset,
    timestamp: Number.isFinite(millis) && millis >= 0 ? new Date(millis) : null,
    key: message.key == null ? null : message.key.toString('utf8'),
    value: message.value == null ? null : new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength),
  };
}

class KafkaStream implements StreamClient {
  readonly name: string;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #where: string;
  /** Consumers of reads under way, disconnected by `close()` too. */
  readonly #consumers = new Set<Consumer>();
  #closed = false;

  readonly #stallTimeoutMs: number;

  constructor(kafka: Kafka, admin: Admin, topic: string, where: string, stallTimeoutMs: number) {
    this.#stallTimeoutMs = stallTimeoutMs;
    this.#kafka = kafka;
    this.#admin = admin;
    this.name = topic;
    this.#where = where;
  }

  async partitions(): Promise<PartitionOffsets[]> {
    let topics: string[];
    try {
      topics = await this.#admin.listTopics();
    } catch (error) {
      throw new StorageError(`${this.#where}: cannot list the topics: ${messageOf(error)}`, { cause: error });
    }
    // Checked first: asking a missing topic's offsets may create it on a broker that auto-creates topics.
    if (!topics.includes(this.name)) throw new StorageError(`${this.#where}: the topic does not exist`);
    try {
      const offsets = await this.#admin.fetchTopicOffsets(this.name);
      return offsets
        .map((o) => ({ partition: o.partition, earliest: BigInt(o.low), latest: BigInt(o.high) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw new StorageError(`${this.#where}: cannot fetch the partitions' offsets: ${messageOf(error)}`, { cause: error });
    }
  }

  async read(ranges: ReadonlyArray<OffsetRange>, onBatch: BatchHandler): Promise<void> {
    const offsets = await this.partitions();
    const toRead = rangesToRead(this.#where, ranges, offsets);
    if (toRead.length === 0) return;
    const consumer = this.#kafka.consumer({ groupId: `tidemark-read-${randomUUID()}`, allowAutoTopicCreation: false });
    this.#consumers.add(consumer);
    try {
      await this.#consume(consumer, toRead, offsets.map((o) => o.partition).filter((p) => !toRead.some((r) => r.partition === p)), onBatch);
    } finally {
      this.#consumers.delete(consumer);
      await consumer.disconnect().catch(() => undefined); // the read's own outcome is what the caller gets
    }
  }

  /** Runs `consumer` until every range of `toRead` is handed to `onBatch`; `idle` are the topic's other partitions. */
  async #consume(consumer: Consumer, toRead: ReadonlyArray<OffsetRange>, idle: ReadonlyArray<number>, onBatch: BatchHandler): Promise<void> {
    const topic = this.name;
    /** Per partition still being read: its range and the next offset to deliver (a repeated fetch is never delivered twice). */
    const pending = new Map(toRead.map((r) => [r.partition, { range: r, next: r.from }]));
    let settled = false;
    let resolveDone!: () => void;
    let rejectDone!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const fail = (error: unknown): void => {
      if (!settled) rejectDone(error);
      settled = true;
    };
    // No message of the ranges for too long: the read fails, naming where each partition stands.
    let progressAt = Date.now();
    const stall = setInterval(() => {
      if (Date.now() - progressAt < this.#stallTimeoutMs) return;
      const where = [...pending].map(([p, st]) => `${p} at ${st.next} of [${st.range.from}, ${st.range.to})`).join(', ');
      fail(new StorageError(`${this.#where}: no message for ${Math.round(this.#stallTimeoutMs / 1000)} s while reading partitions ${where}`));
    }, Math.min(1000, this.#stallTimeoutMs));
    void done.then(() => clearInterval(stall), () => clearInterval(stall));
    const wrap = (what: string, error: unknown): StorageError => new StorageError(`${this.#where}: ${what}: ${messageOf(error)}`, { cause: error });

    // On every join (a rejoin after a rebalance too): each partition still being read from its next
    // offset, every other partition paused.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      try {
        for (const [partition, state] of pending) consumer.seek({ topic, partition, offset: state.next.toString() });
        const paused = [...idle, ...toRead.map((r) => r.partition).filter((p) => !pending.has(p))];
        if (paused.length > 0) consumer.pause([{ topic, partitions: paused }]);
      } catch (error) {
        fail(wrap('cannot seek to the ranges', error));
      }
    });
    // kafkajs would restart a crashed consumer, maybe forever: the read fails instead, and may be retried whole.
    consumer.on(consumer.events.CRASH, (event) => fail(wrap('the consumer failed', event.payload.error)));
    // `close()` during the read: the read ends, unfinished (after a finished read this changes nothing).
    consumer.on(consumer.events.DISCONNECT, () => fail(new StorageError(`${this.#where}: the stream was closed during the read`)));

    /** Marks `partition` read when its range ends by `lastOffset` (resolving the read once all are). */
    const readUpTo = (partition: number, lastOffset: bigint): void => {
      const state = pending.get(partition);
      if (settled || state === undefined || lastOffset + 1n < state.range.to) return;
      pending.delete(partition);
      consumer.pause([{ topic, partitions: [partition] }]);
      if (pending.size === 0) {
        settled = true;
        resolveDone();
      }
    };
    // A batch of control records only (a transaction's commit marker) is not handed to `eachBatch`,
    // yet takes offsets: a range may end on one.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && payload.lastOffset !== null) readUpTo(payload.partition, BigInt(payload.lastOffset));
    });

    const eachBatch = async ({ batch, resolveOffset }: { batch: Batch; resolveOffset: (offset: string) => void }): Promise<void> => {
      const state = pending.get(batch.partition);
      if (settled || state === undefined) return;
      const messages: StreamMessage[] = [];
      for (const message of batch.messages) {
        const offset = BigInt(message.offset);
        if (offset >= state.range.to) break;
        // Resolved, the consumer's next fetch starts after it: a broker that returns one record batch
        // a fetch would otherwise be asked for the same one again and again.
        resolveOffset(message.offset);
        if (offset < state.next) continue;
        messages.push(toStreamMessage(batch.partition, offset, message));
        state.next = offset + 1n;
        progressAt = Date.now();
      }
      try {
        if (messages.length > 0) await onBatch(messages);
      } catch (error) {
        fail(error); // the handler's own error, as it threw it
        return;
      }
      // The batch's last offset counts control records and compacted-away messages too.
      readUpTo(batch.partition, BigInt(batch.lastOffset()));
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    } catch (error) {
      fail(wrap('cannot start reading', error));
    }
    await done;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    for (const consumer of this.#consumers) await consumer.disconnect().catch((error: unknown) => errors.push(error));
    await this.#admin.disconnect().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new StorageError(`${this.#where}: cannot disconnect: ${messageOf(errors[0])}`, { cause: errors[0] });
  }
}

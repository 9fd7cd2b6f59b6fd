/**
 * The stream port's contract, run on each adapter against a real broker: Kafka on librdkafka's mock
 * cluster (one `kcat` for the file), NATS on the local JetStream server. Each test works on its own
 * topic or stream. Then what only one adapter has: Kafka tombstones, NATS purges and subject filters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.ts';
import { openKafkaStream } from '../../src/streams/kafka-stream.ts';
import { openNatsStream } from '../../src/streams/nats-stream.ts';
import type { OffsetRange, PartitionOffsets, StreamClient, StreamMessage } from '../../src/streams/stream-port.ts';
import {
  type KafkaMock,
  NATS_URL,
  createKafkaTopic,
  createNatsStream,
  deleteNatsStream,
  kcatAvailable,
  natsAvailable,
  produceKafka,
  publishNats,
  skipWithout,
  startKafkaMock,
  withJetStream,
} from '../support/brokers.ts';

/** A message as the tests compare it: the value decoded. */
interface Seen {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
}

/** What the contract needs of a broker. */
interface Broker {
  readonly name: string;
  readonly skip: boolean;
  readonly partitionCount: number;
  /** A new, empty topic or stream; its name. */
  create(): Promise<string>;
  /** Publishes the messages in order (a `group` is a key or a subject); the messages a read must give for them. */
  produce(name: string, messages: ReadonlyArray<{ readonly group: string; readonly value: string }>): Promise<Seen[]>;
  open(name: string): Promise<StreamClient>;
  /** The broker address, which error messages must name. */
  address(): string;
}

const unique = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const text = (value: Uint8Array | null): string | null => (value === null ? null : Buffer.from(value).toString('utf8'));
const seen = (m: StreamMessage): Seen => ({ partition: m.partition, offset: m.offset, key: m.key, value: text(m.value) });

let kafka: KafkaMock | undefined;
/** Next offset per topic and partition (topics are fresh, so offsets start at 0). */
const kafkaNext = new Map<string, number[]>();
const natsStreams: string[] = [];

const KAFKA: Broker = {
  name: 'kafka',
  skip: skipWithout(kcatAvailable()),
  partitionCount: 4,
  create: async () => {
    const topic = unique('tm');
    await createKafkaTopic(KAFKA.address(), topic);
    return topic;
  },
  produce: async (topic, messages) => {
    const next = kafkaNext.get(topic) ?? [0, 0, 0, 0];
    kafkaNext.set(topic, next);
    // Each group to a partition of its own choosing (by its first letter), so offsets are known.
    const placed = messages.map((m) => ({ ...m, partition: m.group.charCodeAt(0) % 4 }));
    await produceKafka(KAFKA.address(), topic, placed.map((m) => ({ key: m.group, value: m.value, partition: m.partition })));
    return placed.map((m) => ({ partition: m.partition, offset: BigInt(next[m.partition]!++), key: m.group, value: m.value }));
  },
  open: (topic) => openKafkaStream({ brokers: KAFKA.address(), topic }),
  address: () => {
    if (kafka === undefined) throw new Error('the mock Kafka cluster is not started');
    return kafka.brokers;
  },
};

const NATS: Broker = {
  name: 'nats',
  skip: skipWithout(await natsAvailable()),
  partitionCount: 1,
  create: async () => {
    const name = unique('TM');
    await createNatsStream(name, [`${name}.>`]);
    natsStreams.push(name);
    return name;
  },
  produce: async (name, messages) => {
    const subjects = messages.map((m) => `${name}.${m.group}`);
    const seqs = await publishNats(messages.map((m, i) => ({ subject: subjects[i]!, value: m.value })));
    return messages.map((m, i) => ({ partition: 0, offset: seqs[i]!, key: subjects[i]!, value: m.value }));
  },
  open: (name) => openNatsStream({ servers: NATS_URL, stream: name }),
  address: () => NATS_URL,
};

// One mock cluster for the file; the streams made on the NATS server are deleted at the end.
beforeAll(async () => {
  if (!KAFKA.skip) kafka = await startKafkaMock();
});
afterAll(async () => {
  await kafka?.stop();
  if (!NATS.skip) for (const name of natsStreams) await deleteNatsStream(name);
});

/** Reads `ranges`, checking every batch is non-empty and in offset order per partition; all messages read. */
async function readAll(client: StreamClient, ranges: ReadonlyArray<OffsetRange>): Promise<StreamMessage[]> {
  const out: StreamMessage[] = [];
  await client.read(ranges, (batch) => {
    expect(batch.length).toBeGreaterThan(0);
    out.push(...batch);
  });
  for (const p of new Set(out.map((m) => m.partition))) {
    const offsets = out.filter((m) => m.partition === p).map((m) => m.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return out;
}

const byPartitionThenOffset = (a: Seen, b: Seen): number => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);
const sorted = (messages: ReadonlyArray<Seen>): Seen[] => [...messages].sort(byPartitionThenOffset);
const fullRanges = (offsets: ReadonlyArray<PartitionOffsets>): OffsetRange[] => offsets.map((o) => ({ partition: o.partition, from: o.earliest, to: o.latest }));

/** 24 messages over four groups (keys or subjects), interleaved. */
const SAMPLE = Array.from({ length: 24 }, (_, i) => ({ group: 'abcd'[i % 4]!, value: JSON.stringify({ id: i }) }));

describe.each([KAFKA, NATS])('the stream port on $name', (broker) => {
  const clients: StreamClient[] = [];
  const open = async (name: string): Promise<StreamClient> => {
    const client = await broker.open(name);
    clients.push(client);
    return client;
  };

  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  it.skipIf(broker.skip)('gives a fresh topic or stream its partitions, empty and sorted', async () => {
    const client = await open(await broker.create());
    const offsets = await client.partitions();
    expect(offsets.map((o) => o.partition)).toEqual(Array.from({ length: broker.partitionCount }, (_, i) => i));
    for (const o of offsets) expect(o.earliest).toBe(o.latest);
  });

  it.skipIf(broker.skip)('reads the full ranges: exactly the messages, with keys, values and timestamps, in offset order', async () => {
    const name = await broker.create();
    const client = await open(name);
    const before = await client.partitions();
    const started = Date.now();
    const expected = await broker.produce(name, SAMPLE);
    const finished = Date.now();
    const after = await client.partitions();
    for (const o of after) {
      const was = before.find((b) => b.partition === o.partition)!;
      expect(o.latest - was.latest).toBe(BigInt(expected.filter((m) => m.partition === o.partition).length));
    }
    expect(new Set(expected.map((m) => m.partition)).size).toBe(broker.partitionCount);
    const read = await readAll(client, fullRanges(after));
    expect(sorted(read.map(seen))).toEqual(sorted(expected));
    for (const m of read) {
      expect(m.timestamp).toBeInstanceOf(Date);
      expect(m.timestamp!.getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(m.timestamp!.getTime()).toBeLessThanOrEqual(finished + 1000);
    }
    // A read leaves nothing behind that changes the offsets.
    expect(await client.partitions()).toEqual(after);
  });

  it.skipIf(broker.skip)('reads exactly a sub-range [from, to), of several partitions in one call', async () => {
    const name = await broker.create();
    const client = await open(name);
    const expected = await broker.produce(name, SAMPLE);
    const offsets = await client.partitions();
    // Offsets 2 to 4 of each partition but the last, which is read whole.
    const ranges = offsets.map((o, i) => (i === offsets.length - 1 && offsets.length > 1 ? { partition: o.partition, from: o.earliest, to: o.latest } : { partition: o.partition, from: o.earliest + 2n, to: o.earliest + 5n }));
    const read = await readAll(client, ranges);
    const within = expected.filter((m) => ranges.some((r) => r.partition === m.partition && r.from <= m.offset && m.offset < r.to));
    expect(within.length).toBeGreaterThan(0);
    expect(sorted(read.map(seen))).toEqual(sorted(within));
  });

  it.skipIf(broker.skip)('reads nothing for empty ranges, and for no ranges', async () => {
    const name = await broker.create();
    const client = await open(name);
    await broker.produce(name, SAMPLE.slice(0, 8));
    const offsets = await client.partitions();
    let batches = 0;
    const count = (): void => {
      batches++;
    };
    await client.read([], count);
    await client.read(offsets.map((o) => ({ partition: o.partition, from: o.latest, to: o.latest })), count);
    await client.read(offsets.map((o) => ({ partition: o.partition, from: o.earliest + 1n, to: o.earliest + 1n })), count);
    expect(batches).toBe(0);
  });

  it.skipIf(broker.skip)('rejects a read with the batch handler’s error', async () => {
    const name = await broker.create();
    const client = await open(name);
    await broker.produce(name, SAMPLE.slice(0, 8));
    const failure = new Error('the handler failed');
    await expect(
      client.read(fullRanges(await client.partitions()), () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it.skipIf(broker.skip)('refuses a range past the end or of an unknown partition', async () => {
    const client = await open(await broker.create());
    const [first] = await client.partitions();
    await expect(client.read([{ partition: 0, from: first!.latest, to: first!.latest + 1n }], () => undefined)).rejects.toThrow(/ends at/);
    await expect(client.read([{ partition: 99, from: 0n, to: 1n }], () => undefined)).rejects.toThrow(/no partition 99/);
  });

  it.skipIf(broker.skip)('says a missing topic or stream is missing, naming it and the broker', async () => {
    const missing = unique(broker.name === 'nats' ? 'MISSING' : 'missing');
    const error = await broker.open(missing).then(
      (client) => {
        clients.push(client);
        return new Error('opened');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain(broker.address());
    expect((error as Error).message).toMatch(/does not exist/);
    // Asking did not create it.
    await expect(broker.open(missing)).rejects.toThrow(/does not exist/);
  });

  it.skipIf(broker.skip)('closes harmlessly twice', async () => {
    const client = await broker.open(await broker.create());
    await client.close();
    await client.close();
  });
});

describe.skipIf(KAFKA.skip)('the Kafka stream', () => {
  it('reads a tombstone as a null value, and a message without key as a null key', async () => {
    const topic = await KAFKA.create();
    await produceKafka(KAFKA.address(), topic, [
      { key: 'k1', value: 'v1', partition: 1 },
      { key: 'k1', value: null, partition: 1 },
      { value: 'keyless', partition: 1 },
    ]);
    const client = await KAFKA.open(topic);
    try {
      const offsets = await client.partitions();
      expect(offsets.map((o) => o.latest)).toEqual([0n, 3n, 0n, 0n]);
      const read = await readAll(client, fullRanges(offsets));
      expect(read.map(seen)).toEqual([
        { partition: 1, offset: 0n, key: 'k1', value: 'v1' },
        { partition: 1, offset: 1n, key: 'k1', value: null },
        { partition: 1, offset: 2n, key: null, value: 'keyless' },
      ]);
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(NATS.skip)('the NATS stream', () => {
  it('moves earliest on a purge, and refuses a range below it', async () => {
    const name = await NATS.create();
    const expected = await NATS.produce(name, SAMPLE.slice(0, 10));
    await withJetStream((jsm) => jsm.streams.purge(name, { seq: 5 }));
    const client = await NATS.open(name);
    try {
      const offsets = await client.partitions();
      expect(offsets).toEqual([{ partition: 0, earliest: 5n, latest: 11n }]);
      const read = await readAll(client, fullRanges(offsets));
      expect(read.map(seen)).toEqual(expected.slice(4));
      await expect(client.read([{ partition: 0, from: 1n, to: 11n }], () => undefined)).rejects.toThrow(StorageError);
      // Purged empty: earliest == latest == the next sequence.
      await withJetStream((jsm) => jsm.streams.purge(name));
      expect(await client.partitions()).toEqual([{ partition: 0, earliest: 11n, latest: 11n }]);
    } finally {
      await client.close();
    }
  });

  it('reads only the messages of its subject, ending even when other subjects end the range', async () => {
    const name = await NATS.create();
    const all = await NATS.produce(name, [...SAMPLE.slice(0, 9), { group: 'b', value: 'last' }]);
    const client = await openNatsStream({ servers: NATS_URL, stream: name, subject: `${name}.a` });
    try {
      const offsets = await client.partitions();
      expect(offsets).toEqual([{ partition: 0, earliest: 1n, latest: 11n }]);
      const read = await readAll(client, fullRanges(offsets));
      expect(read.map(seen)).toEqual(all.filter((m) => m.key === `${name}.a`));
      // A range holding no message of the subject ends too, at once.
      const none: StreamMessage[] = [];
      await client.read([{ partition: 0, from: 2n, to: 5n }], (batch) => {
        none.push(...batch);
      });
      expect(none).toEqual([]);
      // And one whose last `a` message is before its end, with later `a` messages in the stream.
      const some = await readAll(client, [{ partition: 0, from: 1n, to: 8n }]);
      expect(some.map((m) => m.offset)).toEqual([1n, 5n]);
    } finally {
      await client.close();
    }
  });
});

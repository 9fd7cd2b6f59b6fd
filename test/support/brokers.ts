/**
 * Real brokers for the stream suites. Kafka: librdkafka's mock cluster, started by Debian's `kcat`
 * (one process per suite; topics are created with 4 partitions on their first produce). NATS: the
 * local JetStream server (`TIDEMARK_TEST_NATS_URL`, default 127.0.0.1:4222, which `.ci/run` starts).
 * A missing broker skips a suite locally, saying so; on CI (`CI` set) the suite runs and fails.
 */
import { spawnSync } from 'node:child_process';
import { type KafkaMock, startKafkaMock as startMock } from '../../bench/kafka-mock.ts';

export type { KafkaMock } from '../../bench/kafka-mock.ts';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { Kafka, logLevel } from 'kafkajs';

export const NATS_URL = process.env.TIDEMARK_TEST_NATS_URL || '127.0.0.1:4222';

/** Whether a suite needing an unavailable broker is skipped: only outside CI, where a missing broker must fail. */
export function skipWithout(available: boolean): boolean {
  return !available && !process.env.CI;
}

/** Whether `kcat` (for the mock Kafka cluster) is installed; says so on stderr when it is not. */
export function kcatAvailable(): boolean {
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).error === undefined) return true;
  console.warn(`kcat is not installed: the Kafka suites are ${process.env.CI ? 'run and will FAIL (CI)' : 'SKIPPED'}. Install it: apt-get install -y kcat`);
  return false;
}

/** A one-broker mock Kafka cluster for a suite (bench/kafka-mock.ts); stop it in `afterAll`. */
export function startKafkaMock(): Promise<KafkaMock> {
  return startMock('the Kafka suites need its mock cluster');
}

/** A message to produce: no key, or a null value (a tombstone), as given; `partition` pins it. */
export interface KafkaTestMessage {
  readonly key?: string;
  readonly value: string | null;
  readonly partition?: number;
}

/** Produces `messages` to `topic` in one request (creating the topic on the mock cluster). */
export async function produceKafka(brokers: string, topic: string, messages: ReadonlyArray<KafkaTestMessage>): Promise<void> {
  const producer = new Kafka({ clientId: 'tidemark-test', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, ...(m.partition === undefined ? {} : { partition: m.partition }) })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Creates an empty topic (4 partitions): the mock creates a topic on a metadata request that allows it, which an empty send makes. */
export async function createKafkaTopic(brokers: string, topic: string): Promise<void> {
  await produceKafka(brokers, topic, []);
}

/** Whether the NATS server answers; says so on stderr when it does not. */
export async function natsAvailable(): Promise<boolean> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3000, reconnect: false });
    await nc.close();
    return true;
  } catch (error) {
    console.warn(
      `NATS is not reachable at ${NATS_URL} (${(error as Error).message}): the NATS suites are ${process.env.CI ? 'run and will FAIL (CI)' : 'SKIPPED'}. Start nats-server with -js, or set TIDEMARK_TEST_NATS_URL.`,
    );
    return false;
  }
}

/** Runs `fn` with a JetStream manager on its own connection, closed after. */
export async function withJetStream<T>(fn: (jsm: JetStreamManager, nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: NATS_URL, reconnect: false });
  try {
    return await fn(await jetstreamManager(nc), nc);
  } finally {
    await nc.close();
  }
}

/** Creates a stream (file storage) taking `subjects`. */
export async function createNatsStream(name: string, subjects: ReadonlyArray<string>): Promise<void> {
  await withJetStream((jsm) => jsm.streams.add({ name, subjects: [...subjects] }));
}

/** Publishes the messages in order, each to its subject; the stream sequences they got. */
export async function publishNats(messages: ReadonlyArray<{ readonly subject: string; readonly value: string }>): Promise<bigint[]> {
  return withJetStream(async (_jsm, nc) => {
    const js = jetstream(nc);
    const seqs: bigint[] = [];
    for (const m of messages) seqs.push(BigInt((await js.publish(m.subject, m.value)).seq));
    return seqs;
  });
}

/** Deletes a stream if it exists. */
export async function deleteNatsStream(name: string): Promise<void> {
  await withJetStream(async (jsm) => {
    const names = await jsm.streams.names().next();
    if (names.includes(name)) await jsm.streams.delete(name);
  });
}

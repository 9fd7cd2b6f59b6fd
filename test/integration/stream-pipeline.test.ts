/**
 * Stream sources end to end, on real brokers (librdkafka's mock Kafka cluster from `kcat`, the local
 * NATS JetStream server) with DuckDB and the embedded metastore: a run loads what the stream holds
 * and commits the offsets with the data under Hudi's checkpoint key; the next run applies exactly
 * the new messages (precombine as for every source); a run with nothing new commits nothing; a
 * batch of messages that changes nothing still commits its checkpoint; a checkpoint the stream no
 * longer holds fails by default and goes on as configured otherwise; an undecodable message is
 * named by partition and offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { pipelineStatus } from '../../src/pipeline/status.ts';
import { definePipeline, type KafkaSource, type NatsSource, type PipelineDefinition, type StreamSourceOptions } from '../../src/pipeline/definition.ts';
import { CHECKPOINT_KEY } from '../../src/streams/stream-checkpoint.ts';
import type { TidemarkSession } from '../../src/session.ts';
import { useSession } from '../support/engine.ts';
import { NATS_URL, createNatsStream, deleteNatsStream, kcatAvailable, natsAvailable, produceKafka, publishNats, skipWithout, startKafkaMock, withJetStream, type KafkaMock } from '../support/brokers.ts';

interface Broker {
  readonly name: string;
  /** Whether the broker runs here (checked once). */
  available(): Promise<boolean>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  source(options?: StreamSourceOptions): KafkaSource | NatsSource;
  produce(messages: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
  /** Makes the stream lose its oldest messages (or start over), so the checkpoint is out of range. */
  loseHistory(): Promise<void>;
  /** What the out-of-range error says of the checkpoint. */
  readonly outOfRange: RegExp;
}

const kafka = (): Broker => {
  let mock: KafkaMock | undefined;
  const topic = 'game_events';
  return {
    name: 'kafka',
    available: async () => kcatAvailable(),
    setUp: async () => {
      mock = await startKafkaMock();
    },
    tearDown: async () => mock?.stop(),
    source: (o = {}) => ({ kind: 'kafka', brokers: mock!.brokers, topic, ...o }),
    produce: (messages) => produceKafka(mock!.brokers, topic, messages),
    // The mock keeps no retention: a new cluster is the topic recreated, its offsets below the checkpoint.
    loseHistory: async () => {
      await mock!.stop();
      mock = await startKafkaMock();
      await produceKafka(mock.brokers, topic, [{ key: 'x', value: JSON.stringify({ id: 900, ts: 1, v: 'after' }) }]);
    },
    outOfRange: /Kafka topic game_events partition \d: the checkpoint offset \d+ \(from the commit \d+ of bronze\.events\) is out of range: its latest offset is \d, below the checkpoint/,
  };
};

const nats = (): Broker => {
  const stream = `TM_EVENTS_${process.pid}`;
  return {
    name: 'nats',
    available: natsAvailable,
    setUp: async () => {
      await deleteNatsStream(stream);
      await createNatsStream(stream, [`${stream}.>`]);
    },
    tearDown: () => deleteNatsStream(stream),
    source: (o = {}) => ({ kind: 'nats', servers: NATS_URL, stream, ...o }),
    produce: async (messages) => {
      await publishNats(messages.map((m) => ({ subject: `${stream}.${m.key}`, value: m.value })));
    },
    loseHistory: async () => {
      await publishNats([{ subject: `${stream}.x`, value: JSON.stringify({ id: 900, ts: 1, v: 'after' }) }, { subject: `${stream}.y`, value: JSON.stringify({ id: 901, ts: 1, v: 'after' }) }]);
      await withJetStream(async (jsm) => {
        const info = await jsm.streams.info(stream);
        await jsm.streams.purge(stream, { seq: info.state.last_seq }); // keeps only the last message
      });
    },
    outOfRange: /NATS stream TM_EVENTS_\d+ partition 0: the checkpoint offset \d+ \(from the commit \d+ of bronze\.events\) is out of range: its earliest retained offset is \d+: messages \d+ to \d+ were deleted/,
  };
};

const event = (id: number, ts: number, v: string) => ({ key: `k${id}`, value: JSON.stringify({ id, ts, v }) });

for (const broker of [kafka(), nats()]) {
  describe(`a ${broker.name} source`, async () => {
    const available = await broker.available();
    let session: TidemarkSession;
    const { warehouse } = useSession(`stream-${broker.name}`, (s) => (session = s));
    const def = (source: StreamSourceOptions = {}, name = 'events_raw', table = 'bronze.events'): PipelineDefinition =>
      definePipeline({
        name,
        source: broker.source(source),
        transform: 'SELECT id, ts, v, _partition, _offset FROM source',
        target: { table, recordKey: ['id'], precombine: 'ts' },
      });
    const target = (table = 'events'): string => path.join(warehouse, 'bronze', table);
    const rows = async (table?: string) =>
      (await session.engine.read(target(table), { columns: ['id', 'ts', 'v'] })).map((r) => ({ id: Number(r.id), ts: Number(r.ts), v: String(r.v) })).sort((a, b) => a.id - b.id);
    const lastCommitExtra = async (table?: string) => {
      const state = await session.engine.table(target(table));
      return state.commits.get(state.timeline.latestCompletedWrite()!.time)!.extraMetadata;
    };

    beforeAll(async () => {
      if (!skipWithout(available)) await broker.setUp();
    });
    afterAll(async () => {
      if (!skipWithout(available)) await broker.tearDown();
    });

    it.skipIf(skipWithout(available))('loads every message, the newest version of each key, and commits the offsets under Hudi\'s checkpoint key', async () => {
      await broker.produce([...Array.from({ length: 20 }, (_, i) => event(i, 1, 'first')), ...Array.from({ length: 20 }, (_, i) => event(i, 2, 'second'))]);
      const r = await runPipeline(session.context, def());
      expect(r.error).toBeUndefined();
      expect(r.recordsRead).toBe(40);
      expect(r.inserted).toBe(20);
      expect(await rows()).toEqual(Array.from({ length: 20 }, (_, i) => ({ id: i, ts: 2, v: 'second' })));
      const checkpoint = (await lastCommitExtra())[CHECKPOINT_KEY]!;
      // In the commit file itself, as Hudi's readers (HoodieStreamer resuming the table) look for it.
      const commitFile = JSON.parse(fs.readFileSync(path.join(target(), '.hoodie', `${r.instant}.commit`), 'utf8')) as { extraMetadata: Record<string, string> };
      expect(commitFile.extraMetadata['deltastreamer.checkpoint.key']).toBe(checkpoint);
      // Hudi's format: the topic, then partition:next-offset for every partition, the offsets summing to the messages read.
      expect(checkpoint).toMatch(/^[A-Za-z0-9_.-]+(,\d+:\d+)+$/);
      const offsets = checkpoint.split(',').slice(1).map((p) => Number(p.split(':')[1]));
      expect(offsets.reduce((a, b) => a + b, 0)).toBe(broker.name === 'nats' ? 41 : 40); // JetStream sequences start at 1
      const [logged] = await session.metastore.runs({ pipelineName: 'events_raw', newestFirst: true, limit: 1 });
      expect(logged!.sourceCheckpoint).toBe(checkpoint);
      expect(logged!.sourceLag).toBe(0);
      expect(r.source).toEqual({ checkpoint, lag: 0, skipped: 0 });
    });

    it.skipIf(skipWithout(available))('a run with nothing new commits nothing; a window (backfill) is refused', async () => {
      await expect(runPipeline(session.context, def(), { window: { start: new Date(0), end: new Date() } })).rejects.toThrow(/reads a stream by offsets: it has no windows to backfill/);
      const before = (await session.engine.commits(target())).length;
      const r = await runPipeline(session.context, def());
      expect(r.status).toBe('SUCCESS');
      expect(r.recordsRead).toBe(0);
      expect(r.instant).toBeUndefined();
      expect((await session.engine.commits(target())).length).toBe(before);
    });

    it.skipIf(skipWithout(available))('the next run applies exactly the new messages: newer versions win, older ones are skipped', async () => {
      await broker.produce([event(0, 1, 'older than stored'), event(1, 5, 'newer'), event(100, 1, 'new key')]);
      const r = await runPipeline(session.context, def());
      expect(r.error).toBeUndefined();
      expect(r.recordsRead).toBe(3);
      expect({ inserted: r.inserted, updated: r.updated, older: r.skippedAsOlder }).toEqual({ inserted: 1, updated: 1, older: 1 });
      const now = await rows();
      expect(now.find((x) => x.id === 0)).toEqual({ id: 0, ts: 2, v: 'second' });
      expect(now.find((x) => x.id === 1)).toEqual({ id: 1, ts: 5, v: 'newer' });
      expect(now.find((x) => x.id === 100)).toEqual({ id: 100, ts: 1, v: 'new key' });
      expect(now).toHaveLength(21);
    });

    it.skipIf(skipWithout(available))('messages that change nothing still commit their checkpoint, so they are not read again', async () => {
      await broker.produce([event(2, 0, 'stale'), event(3, 0, 'stale')]);
      const before = await rows();
      const r = await runPipeline(session.context, def());
      expect(r.error).toBeUndefined();
      expect(r.recordsRead).toBe(2);
      expect(r.skippedAsOlder).toBe(2);
      expect(r.instant).toBeDefined(); // an empty commit carrying the checkpoint
      expect((await session.engine.commits(target())).at(-1)!.filesWritten).toBe(0);
      expect(await rows()).toEqual(before);
      const again = await runPipeline(session.context, def());
      expect(again.recordsRead).toBe(0);
      expect(again.instant).toBeUndefined();
    });

    it.skipIf(skipWithout(available))('maxRecords spreads a backlog over runs, each commit carrying where it stopped', async () => {
      const limited = def({ maxRecords: 12 }, 'events_limited', 'bronze.limited');
      await broker.produce([event(200, 1, 'a'), event(201, 1, 'b'), event(202, 1, 'c')]);
      // The whole stream waits: 48 messages, read 12 a run.
      const first = await runPipeline(session.context, limited);
      expect(first.error).toBeUndefined();
      expect(first.recordsRead).toBe(12);
      expect(first.source!.lag).toBe(36);
      const [status] = await pipelineStatus(session.context, { days: 1, pipeline: 'events_limited' });
      expect(status!.stream).toMatchObject({ checkpoint: first.source!.checkpoint, lag: 36, skipped: 0 });
      let read = first.recordsRead;
      for (let i = 0; i < 8 && (await session.metastore.runs({ pipelineName: 'events_limited', newestFirst: true, limit: 1 }))[0]!.sourceLag! > 0; i++) {
        const r = await runPipeline(session.context, limited);
        expect(r.error).toBeUndefined();
        expect(r.recordsRead).toBeLessThanOrEqual(12);
        read += r.recordsRead;
      }
      expect(read).toBe(48);
      const all = await rows('limited');
      expect(all.map((x) => x.id)).toEqual([...Array.from({ length: 20 }, (_, i) => i), 100, 200, 201, 202]);
    });

    it.skipIf(skipWithout(available))('startingOffsets latest: the first run reads nothing and keeps its position; the next reads what came after', async () => {
      const latest = def({ startingOffsets: 'latest' }, 'events_latest', 'bronze.latest');
      const first = await runPipeline(session.context, latest);
      expect(first.error).toBeUndefined();
      expect(first.recordsRead).toBe(0);
      expect(first.instant).toBeUndefined();
      expect(first.source!.checkpoint).toMatch(/,\d+:\d+/);
      await broker.produce([event(400, 1, 'after the start'), event(401, 1, 'after the start')]);
      const second = await runPipeline(session.context, latest);
      expect(second.error).toBeUndefined();
      expect(second.recordsRead).toBe(2);
      expect((await rows('latest')).map((x) => x.id)).toEqual([400, 401]);
    });

    it.skipIf(skipWithout(available))('--full-refresh rebuilds the target from every retained message', async () => {
      const limited = def({}, 'events_limited', 'bronze.limited');
      const r = await runPipeline(session.context, limited, { fullRefresh: true });
      expect(r.error).toBeUndefined();
      expect(r.recordsRead).toBe(50);
      const all = await rows('limited');
      expect(all.map((x) => x.id)).toEqual([...Array.from({ length: 20 }, (_, i) => i), 100, 200, 201, 202, 400, 401]);
      expect(all.find((x) => x.id === 1)).toEqual({ id: 1, ts: 5, v: 'newer' });
    });

    it.skipIf(skipWithout(available))('a message that is not a JSON object fails the run, naming its partition and offset; nothing is committed', async () => {
      const before = (await session.engine.commits(target())).length;
      await broker.produce([event(300, 1, 'fine'), { key: 'k301', value: '{"id": 301, "ts": }' }]);
      const r = await runPipeline(session.context, def());
      expect(r.status).toBe('FAILED');
      expect(r.error).toMatch(/\[extract\] .*the message at partition \d+ offset \d+ is not a JSON object: its JSON does not parse/);
      expect((await session.engine.commits(target())).length).toBe(before);
      // The bad message stays in the way: the next run fails the same way, nothing is skipped silently.
      expect((await runPipeline(session.context, def())).status).toBe('FAILED');
      // A value with a field of a stream column's name is named too (a separate pipeline, past the bad message).
      const reserved = def({ startingOffsets: 'latest' }, 'events_reserved', 'bronze.reserved');
      await runPipeline(session.context, reserved);
      await broker.produce([{ key: 'k302', value: '{"id": 302, "ts": 1, "v": "x", "_offset": 5}' }]);
      const clash = await runPipeline(session.context, reserved);
      expect(clash.error).toMatch(/the message at partition \d+ offset \d+ cannot be read: it has a field _offset, a name the stream's own columns take/);
    });

    it.skipIf(skipWithout(available))('a checkpoint the stream no longer holds fails the run, unless onOffsetOutOfRange says where to go on', async () => {
      await broker.loseHistory();
      const before = await rows();
      const failed = await runPipeline(session.context, def());
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatch(broker.outOfRange);
      expect(await rows()).toEqual(before);
      const goOn = await runPipeline(session.context, def({ onOffsetOutOfRange: 'earliest' }));
      expect(goOn.error).toBeUndefined();
      expect(goOn.recordsRead).toBeGreaterThan(0);
      expect((await rows()).some((x) => x.v === 'after')).toBe(true);
      const [logged] = await session.metastore.runs({ pipelineName: 'events_raw', newestFirst: true, limit: 1 });
      expect(logged!.sourceCheckpoint).toBe((await lastCommitExtra())[CHECKPOINT_KEY]);
      if (broker.name === 'nats') expect(logged!.sourceSkipped).toBeGreaterThan(0);
    });
  });
}

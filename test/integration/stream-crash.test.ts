/**
 * Stream pipelines killed and stopped, through the real `tidemark` command, on real brokers
 * (librdkafka's mock Kafka cluster from `kcat`, the local NATS JetStream server) with the embedded
 * metastore: a run commits its rows and its checkpoint in one commit, so SIGKILLing the command at
 * any moment (while it starts, reads, writes, commits, logs, closes the metastore) neither loses nor
 * doubles a message. After some kills, a run to completion (the command, or a fresh in-process
 * session: both open a metastore whose lock a killed process left) must leave the table equal to a
 * model of every message produced (per id, the greatest `ts`), the last checkpoint at the stream's
 * end offsets, and the checkpoints of all commits chaining from the stream's start to its end, each
 * logged run having read exactly the messages between its commit's checkpoint and the one before.
 *
 * Continuous mode: `daily-run --continuous` follows bursts of messages; SIGTERM ends it after the
 * batch in flight (exit 0, nothing left RUNNING); a second SIGTERM stops a batch in flight (exit 143)
 * and the next start leaves nothing RUNNING and loads what that batch did not.
 *
 * Kills per broker: `TIDEMARK_STREAM_KILLS` (default 20). Seeded (`TIDEMARK_STREAM_SEED`, default 11).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { TidemarkSession } from '../../src/session.ts';
import { CHECKPOINT_KEY } from '../../src/streams/stream-checkpoint.ts';
import { splitmix32 } from '../../src/util/random.ts';
import { writePipeline } from '../support/catalog-files.ts';
import { NATS_URL, createNatsStream, deleteNatsStream, kcatAvailable, natsAvailable, produceKafka, publishNats, skipWithout, startKafkaMock, withJetStream, type KafkaMock } from '../support/brokers.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { CapturedProcess } from '../support/captured-process.ts';

const bin = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));
const KILLS = Number(process.env.TIDEMARK_STREAM_KILLS ?? 20);
const SEED = Number(process.env.TIDEMARK_STREAM_SEED ?? 11);
/** Distinct ids: small, so most messages update a stored row. */
const KEY_SPACE = 40;

/** One produced message, as the model keeps it. */
interface Msg {
  readonly id: number;
  readonly ts: number;
  readonly v: string;
}
type Row = Msg;

interface Broker {
  readonly name: string;
  available(): Promise<boolean>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** The catalog's source for stream `s` (a Kafka topic or a JetStream stream of this file). */
  source(s: string): object;
  /** Makes stream `s` exist (empty). */
  create(s: string): Promise<void>;
  produce(s: string, messages: ReadonlyArray<Msg>): Promise<void>;
  /** The checkpoint a run that read all of `s` commits: the end offsets. */
  endCheckpoint(s: string): Promise<string>;
  /** The sum of a checkpoint's offsets before any message (JetStream sequences start at 1). */
  readonly base: number;
  /** Kills between two runs to completion (a Kafka run waits ~3 s for its consumer group: fewer of them). */
  readonly verifyEvery: number;
}

const kafka = (): Broker => {
  let mock: KafkaMock | undefined;
  return {
    name: 'kafka',
    available: async () => kcatAvailable(),
    setUp: async () => {
      mock = await startKafkaMock();
    },
    tearDown: async () => mock?.stop(),
    source: (topic) => ({ kind: 'kafka', brokers: mock!.brokers, topic }),
    create: async (topic) => produceKafka(mock!.brokers, topic, []),
    produce: (topic, messages) => produceKafka(mock!.brokers, topic, messages.map((m) => ({ key: `k${m.id}`, value: JSON.stringify(m) }))),
    endCheckpoint: async (topic) => {
      const admin = new Kafka({ clientId: 'tidemark-test', brokers: [mock!.brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return [topic, ...offsets.sort((a, b) => a.partition - b.partition).map((o) => `${o.partition}:${o.high}`)].join(',');
      } finally {
        await admin.disconnect();
      }
    },
    base: 0,
    verifyEvery: 3,
  };
};

const nats = (): Broker => {
  const streams: string[] = [];
  return {
    name: 'nats',
    available: natsAvailable,
    setUp: async () => undefined,
    tearDown: async () => {
      for (const s of streams) await deleteNatsStream(s);
    },
    source: (stream) => ({ kind: 'nats', servers: NATS_URL, stream }),
    create: async (stream) => {
      streams.push(stream);
      await deleteNatsStream(stream);
      await createNatsStream(stream, [`${stream}.>`]);
    },
    produce: async (stream, messages) => {
      await publishNats(messages.map((m) => ({ subject: `${stream}.k${m.id}`, value: JSON.stringify(m) })));
    },
    endCheckpoint: (stream) => withJetStream(async (jsm) => `${stream},0:${(await jsm.streams.info(stream)).state.last_seq + 1}`),
    base: 1,
    verifyEvery: 2,
  };
};

/**
 * Messages for a seeded generator: ids from a small key space, `ts` mostly increasing and
 * sometimes older than earlier ones, never equal to another message's `ts` of the same id (the
 * engine breaks ties by the later record only within a batch, and a stream batch's row order across
 * partitions is not the produce order), a unique `v` each.
 */
class Producer {
  readonly all: Msg[] = [];
  private readonly used = new Map<number, Set<number>>();
  private clock = 1000;
  constructor(private readonly random: () => number, private readonly tag: string) {}

  next(n: number): Msg[] {
    const out: Msg[] = [];
    for (let i = 0; i < n; i++) {
      const id = Math.floor(this.random() * KEY_SPACE);
      this.clock += 1 + Math.floor(this.random() * 5);
      // One in four is late: older than what may already be stored.
      let ts = this.random() < 0.25 ? Math.max(1, this.clock - 1 - Math.floor(this.random() * 200)) : this.clock;
      const used = this.used.get(id) ?? new Set<number>();
      while (used.has(ts)) ts += 1;
      used.add(ts);
      this.used.set(id, used);
      const m = { id, ts, v: `${this.tag}-${this.all.length}` };
      this.all.push(m);
      out.push(m);
    }
    return out;
  }

  /** The table every message so far makes: per id, the greatest `ts`. */
  model(): Row[] {
    const best = new Map<number, Msg>();
    for (const m of this.all) {
      const seen = best.get(m.id);
      if (seen === undefined || m.ts > seen.ts) best.set(m.id, m);
    }
    return [...best.values()].sort((a, b) => a.id - b.id);
  }
}

/** A started `tidemark` command. */
class Cli extends CapturedProcess {
  readonly startedAt = performance.now();

  constructor(args: ReadonlyArray<string>, env: Record<string, string>) {
    const base = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: os.homedir() };
    super(spawn(process.execPath, [bin, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Resolves true once `test` holds, false if the command ended first; throws after `ms`. */
  async until(test: () => boolean, ms = 60_000): Promise<boolean> {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(5)) {
      if (test()) return true;
      if (this.exited) return false;
    }
    throw new Error(`timed out; stdout:\n${this.out}\nstderr:\n${this.err}`);
  }

  /** The log lines (JSON) on stderr with this `msg`. */
  logged(msg: string): number {
    return this.err.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const offsetsOf = (checkpoint: string): number[] => checkpoint.split(',').slice(1).map((p) => Number(p.split(':')[1]));
const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0);

/** Rows of the target, as the model has them. */
async function tableRows(tm: Tidemark, table: string): Promise<Row[]> {
  return (await tm.read(table, { columns: ['id', 'ts', 'v'] })).map((r) => ({ id: Number(r.id), ts: Number(r.ts), v: String(r.v) })).sort((a, b) => a.id - b.id);
}

/** The table's completed commits, and its instants started but not completed (a killed writer's). */
function timelineFiles(table: string): { commits: number; pending: number } {
  const dir = path.join(table, '.hoodie');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const done = new Set(names.filter((n) => /^\d+\.commit$/.test(n)).map((n) => n.split('.')[0]));
  const pending = new Set(names.filter((n) => /^\d+\.(commit\.requested|inflight)$/.test(n)).map((n) => n.split('.')[0]).filter((t) => !done.has(t)));
  return { commits: done.size, pending: pending.size };
}

/** A temp catalog with one stream pipeline into `raw.events`, and its warehouse. */
function project(root: string, broker: Broker, stream: string, name: string) {
  const catalog = path.join(root, 'catalog');
  const warehouse = path.join(root, 'warehouse');
  fs.mkdirSync(catalog, { recursive: true });
  writePipeline(catalog, `${name}.mjs`, {
    name,
    source: broker.source(stream),
    transform: 'SELECT id, ts, v FROM source',
    target: { table: 'raw.events', recordKey: ['id'], precombine: 'ts' },
  });
  return { catalog, warehouse, table: path.join(warehouse, 'raw', 'events'), env: { TIDEMARK_WAREHOUSE: warehouse, TIDEMARK_CATALOG: catalog } };
}

/**
 * What a completed run must leave: the table equal to the model, the last commit's checkpoint at the
 * stream's end, and every commit's checkpoint one step of a chain from the stream's start to its end,
 * each run that logged itself having read exactly its step's messages. Opens its own session.
 */
async function verify(broker: Broker, stream: string, p: ReturnType<typeof project>, name: string, producer: Producer, label: string): Promise<void> {
  const session = await TidemarkSession.open({ warehouse: p.warehouse, catalog: p.catalog });
  try {
    expect(await tableRows(session.engine, p.table), label).toEqual(producer.model());
    const state = await session.engine.table(p.table);
    const end = await broker.endCheckpoint(stream);
    expect(state.commits.get(state.timeline.latestCompletedWrite()!.time)!.extraMetadata[CHECKPOINT_KEY], label).toBe(end);
    expect(sum(offsetsOf(end)), label).toBe(producer.all.length + broker.base);

    const runs = await session.metastore.runs({ pipelineName: name });
    expect(runs.filter((r) => r.status === 'RUNNING'), label).toEqual([]);
    const committed = runs.filter((r) => r.commitInstant !== null).sort((a, b) => a.commitInstant!.localeCompare(b.commitInstant!));
    expect(committed.every((r) => r.status === 'SUCCESS'), label).toBe(true);
    expect(new Set(committed.map((r) => r.commitInstant)).size, `${label}: one run per commit`).toBe(committed.length);
    // Every commit on the table's (active) timeline is a logged run's, with the checkpoint it logged.
    const byInstant = new Map(committed.map((r) => [r.commitInstant!, r]));
    for (const [instant, metadata] of state.commits) {
      if (metadata.extraMetadata[CHECKPOINT_KEY] === undefined) continue;
      expect(byInstant.get(instant)?.sourceCheckpoint, `${label}: commit ${instant}`).toBe(metadata.extraMetadata[CHECKPOINT_KEY]);
    }
    // The chain: each partition's offset only grows, each commit moves on, and a run that logged
    // itself (not reconciled after a kill) read exactly the messages between the two checkpoints.
    let previous: number[] | undefined;
    let previousSum = broker.base;
    for (const r of committed) {
      const offsets = offsetsOf(r.sourceCheckpoint!);
      if (previous !== undefined) offsets.forEach((o, i) => expect(o, `${label}: ${r.commitInstant} partition ${i}`).toBeGreaterThanOrEqual(previous![i] ?? 0));
      const read = sum(offsets) - previousSum;
      expect(read, `${label}: commit ${r.commitInstant} moves on`).toBeGreaterThan(0);
      if (r.processingTimeSeconds !== null) expect(r.recordsRead, `${label}: run ${r.runId} (commit ${r.commitInstant}) read its step`).toBe(read);
      previous = offsets;
      previousSum = sum(offsets);
    }
    expect(committed.at(-1)!.sourceCheckpoint, label).toBe(end);
  } finally {
    await session.close();
  }
}

for (const broker of [kafka(), nats()]) {
  describe(`a ${broker.name} stream pipeline`, async () => {
    const available = await broker.available();
    const skip = skipWithout(available);

    beforeAll(async () => {
      if (!skip) await broker.setUp();
    });
    afterAll(async () => {
      if (!skip) await broker.tearDown();
    });

    it.skipIf(skip)(`SIGKILLed ${KILLS} times at random moments: no message is lost or applied twice`, { timeout: 600_000 }, async () => {
      const t0 = performance.now();
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `tidemark-stream-kill-${broker.name}-`));
      const stream = `TM_KILL_${broker.name}_${process.pid}`;
      const name = 'killed_events';
      const p = project(root, broker, stream, name);
      const random = splitmix32(SEED + (broker.name === 'kafka' ? 0 : 1));
      const producer = new Producer(random, broker.name);
      await broker.create(stream);
      try {
        // A first run to completion creates the metastore and measures a run: time to its start, its length.
        await broker.produce(stream, producer.next(30));
        const first = new Cli(['daily-run', '--pipeline', name], p.env);
        let startMs = 1500;
        let runMs = 500;
        const firstEnd = await first.ended;
        expect(firstEnd.code, firstEnd.err).toBe(0);
        await verify(broker, stream, p, name, producer, 'first run');

        const phases = { startup: 0, run: 0, afterSuccess: 0, exitedFirst: 0 };
        const effects = { committed: 0, leftPending: 0, noCommit: 0 };
        const outcome: string[] = [];
        let kills = 0;
        let completions = 0;
        let sinceVerify = 0;
        for (let i = 0; kills < KILLS && i < KILLS * 3; i++) {
          await broker.produce(stream, producer.next(1 + Math.floor(random() * 25)));
          const before = timelineFiles(p.table);
          const cli = new Cli(['daily-run', '--pipeline', name], p.env);
          const phase = random();
          let where: keyof typeof phases;
          if (phase < 0.3) {
            // While Node, the catalog, DuckDB and the metastore start (the metastore lock may be taken).
            where = 'startup';
            await sleep(random() * startMs);
          } else if (phase < 0.85) {
            // While the run reads, stages, writes, commits and logs.
            // Half of them spread over the run, half near its end, where it writes and commits.
            where = 'run';
            if (await cli.until(() => cli.logged('run started') > 0)) await sleep(runMs * (random() < 0.5 ? random() : 0.7 + 0.4 * random()));
          } else {
            // After the run logged its success: closing the metastore, releasing its lock.
            where = 'afterSuccess';
            if (await cli.until(() => cli.logged('run succeeded') > 0)) await sleep(random() * 30);
          }
          if (cli.exited) {
            const e = await cli.ended;
            expect(e.code, e.err).toBe(0);
            phases.exitedFirst++;
            outcome.push(`${where}:exited`);
          } else {
            cli.kill('SIGKILL');
            const e = await cli.ended;
            if (e.signal === 'SIGKILL') {
              kills++;
              phases[where]++;
              const after = timelineFiles(p.table);
              const effect = after.commits > before.commits ? 'committed' : after.pending > before.pending ? 'leftPending' : 'noCommit';
              effects[effect]++;
              outcome.push(`${where}${cli.logged('run succeeded') > 0 ? '+logged' : cli.logged('run started') > 0 ? '+started' : ''}:${effect}`);
            } else {
              expect(e.code, e.err).toBe(0);
              phases.exitedFirst++;
            }
          }
          if (++sinceVerify >= broker.verifyEvery || kills >= KILLS) {
            sinceVerify = 0;
            completions++;
            if (completions % 2 === 1) {
              // The command, after a killed one: its metastore open recovers the lock.
              const done = new Cli(['daily-run', '--pipeline', name], p.env);
              if (await done.until(() => done.logged('run started') > 0)) startMs = performance.now() - done.startedAt;
              const e = await done.ended;
              expect(e.code, `completion ${completions} after ${outcome.slice(-broker.verifyEvery).join(', ')}: ${e.err}`).toBe(0);
              const started = done.err.split('\n').find((l) => l.includes('"msg":"run started"'));
              const succeeded = done.err.split('\n').find((l) => l.includes('"msg":"run succeeded"'));
              if (started !== undefined && succeeded !== undefined) {
                runMs = Math.max(50, JSON.parse(succeeded).time - JSON.parse(started).time);
              }
            } else {
              // In this process: a fresh session opens the metastore a killed command held.
              const session = await TidemarkSession.open({ warehouse: p.warehouse, catalog: p.catalog });
              try {
                const r = await runPipeline(session.context, session.context.pipelines.get(name)!);
                expect(r.error, `completion ${completions}`).toBeUndefined();
              } finally {
                await session.close();
              }
            }
            await verify(broker, stream, p, name, producer, `after ${kills} kills (${outcome.slice(-broker.verifyEvery).join(', ')})`);
          }
        }
        expect(kills).toBe(KILLS);
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(`${broker.name}: startup ~${startMs.toFixed(0)} ms, run ~${runMs} ms; ${kills} SIGKILLs (${JSON.stringify(phases)}, ${JSON.stringify(effects)}), ${completions} completed runs, ${producer.all.length} messages, ${seconds} s; kills: ${outcome.join(' ')}`);
        // The kills were spread over the run, not all before it started.
        expect(phases.run).toBeGreaterThan(0);
        expect(phases.startup).toBeGreaterThan(0);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    describe('continuous mode', () => {
      const root = useTempDir(`stream-cont-${broker.name}`);
      const stream = `TM_CONT_${broker.name}_${process.pid}`;
      const name = 'live_events';
      let p: ReturnType<typeof project>;
      const producer = new Producer(splitmix32(SEED + 100 + (broker.name === 'kafka' ? 0 : 1)), `${broker.name}-live`);
      let tm: Tidemark;

      beforeAll(async () => {
        if (skip) return;
        p = project(root, broker, stream, name);
        await broker.create(stream);
        tm = await Tidemark.open();
      });
      afterAll(() => {
        tm?.close();
      });

      /** Waits until the table (read by another process's engine while the command writes) equals the model. */
      const caughtUp = async (cli: Cli, label: string): Promise<void> => {
        const want = producer.model();
        let got: Row[] | string = 'no read yet';
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
          expect(cli.exited, `${label}: the command ended: ${cli.err}`).toBe(false);
          try {
            got = await tableRows(tm, p.table);
          } catch (error) {
            got = String(error); // not created yet
          }
          if (JSON.stringify(got) === JSON.stringify(want)) return;
        }
        expect(got, `${label}: the table did not catch up within 60 s; stderr:\n${cli.err}`).toEqual(want);
      };

      it.skipIf(skip)('follows bursts of messages; SIGTERM ends it after the batch in flight, exit 0, nothing RUNNING', { timeout: 300_000 }, async () => {
        const cli = new Cli(['daily-run', '--pipeline', name, '--continuous', '--interval', '1s'], p.env);
        try {
          for (let burst = 0; burst < 4; burst++) {
            await broker.produce(stream, producer.next(10 + burst * 15));
            await caughtUp(cli, `burst ${burst}`);
          }
          cli.kill('SIGTERM');
          const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000);
          const e = await cli.ended;
          clearTimeout(timer);
          expect({ code: e.code, signal: e.signal }, e.err).toEqual({ code: 0, signal: null });
          const lines = e.out.trimEnd().split('\n');
          const batches = lines.filter((l) => / batch \d+: /.test(l));
          expect(batches.length).toBeGreaterThanOrEqual(4);
          expect(batches.map((l) => Number(/ batch (\d+): /.exec(l)![1]))).toEqual(batches.map((_, i) => i + 1));
          for (const l of batches) expect(l).toMatch(new RegExp(`batch \\d+: ${name} SUCCESS read \\d+ `));
          expect(lines.at(-1)).toBe(`stopped after ${batches.length} batch(es): SIGTERM received`);
          expect(lines).toHaveLength(batches.length + 1);

          await verify(broker, stream, p, name, producer, 'after SIGTERM');
          const session = await TidemarkSession.open({ warehouse: p.warehouse, catalog: p.catalog });
          try {
            const runs = await session.metastore.runs({ pipelineName: name });
            expect(runs.map((r) => r.status)).toEqual(batches.map(() => 'SUCCESS')); // one logged run a batch
            const read = batches.reduce((n, l) => n + Number(/ read (\d+) /.exec(l)![1]), 0);
            expect(read).toBe(producer.all.length); // every message read once
          } finally {
            await session.close();
          }
        } finally {
          cli.kill('SIGKILL');
        }
      });

      it.skipIf(skip)('a second SIGTERM stops the batch in flight: exit 143, and the next start leaves nothing RUNNING and loads the rest', { timeout: 300_000 }, async () => {
        // A batch is in flight from its run's start to its end (a Kafka run waits ~3 s for its
        // consumer group; a NATS run of a few hundred messages takes ~0.2 s): tried until one is cut.
        const outcomes: string[] = [];
        for (let attempt = 0; attempt < 4 && !outcomes.includes('cut'); attempt++) {
          const cli = new Cli(['daily-run', '--pipeline', name, '--continuous', '--interval', '3s'], p.env);
          try {
            // Produced between batches, so the next batch reads it (a batch with nothing to read ends at once).
            expect(await cli.until(() => / batch 1: /.test(cli.out)), cli.err).toBe(true);
            await broker.produce(stream, producer.next(400));
            const seen = cli.logged('run started');
            expect(await cli.until(() => cli.logged('run started') > seen), cli.err).toBe(true);
            cli.kill('SIGTERM');
            await cli.until(() => cli.err.includes('finishing the batch in flight'));
            cli.kill('SIGTERM');
            const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000);
            const e = await cli.ended;
            clearTimeout(timer);
            const lines = e.out.trimEnd().split('\n');
            const cut = cli.logged('run failed') > 0;
            if (cut) {
              expect({ code: e.code, signal: e.signal }, e.err).toEqual({ code: 143, signal: null });
              expect(lines.at(-2)).toMatch(new RegExp(`batch \\d+: ${name} FAILED read \\d+ `));
            } else {
              // The run ended before a safe point saw the second signal: 143 when it came before the
              // batch returned, 0 or death by SIGTERM after.
              expect([0, 143, 'SIGTERM'], e.err).toContain(e.code ?? e.signal);
            }
            if (e.code !== null) expect(lines.at(-1)).toMatch(/^stopped after \d+ batch\(es\): SIGTERM received$/);
            outcomes.push(cut ? 'cut' : `not cut (exit ${e.code ?? e.signal})`);

            // The next start: nothing RUNNING, and what the stopped batch did not commit is loaded now.
            const next = new Cli(['daily-run', '--pipeline', name], p.env);
            const n = await next.ended;
            expect(n.code, n.err).toBe(0);
            await verify(broker, stream, p, name, producer, `after the second SIGTERM (attempt ${attempt}) and a run`);
            const session = await TidemarkSession.open({ warehouse: p.warehouse, catalog: p.catalog });
            try {
              const runs = await session.metastore.runs({ pipelineName: name });
              expect(runs.filter((r) => r.status === 'RUNNING')).toEqual([]);
              expect(runs.filter((r) => r.status === 'FAILED').map((r) => r.errorMessage)).toEqual(outcomes.filter((o) => o === 'cut').map(() => expect.stringMatching(/interrupted by SIGTERM/)));
            } finally {
              await session.close();
            }
          } finally {
            cli.kill('SIGKILL');
          }
        }
        console.log(`${broker.name}: second SIGTERM: ${outcomes.join(', ')}`);
        expect(outcomes).toContain('cut');
      });
    });
  });
}

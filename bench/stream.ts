/**
 * The `stream` step: N JSON messages (--messages, default 1M), the standard workload's base rows
 * (data.ts `Workload.base`, ids 0..N-1, key = id), through a pipeline into a table, beside a plain
 * read of the same messages into DuckDB in the same run.
 *
 * Setup (untimed): the rows are generated as JSON lines into a file, then produced to a fresh topic
 * of a mock Kafka cluster (kafka-mock.ts: librdkafka's mock through kcat; kafkajs, 10k messages a
 * send, 4 partitions), or of a real Kafka cluster (--kafka-brokers HOST:PORT; the topic is created
 * with 4 partitions), or published to a fresh JetStream stream on the local NATS server (--broker
 * nats; many publishes in flight, one subject). The setup checks that the broker holds every message
 * from offset 0.
 *
 * The mock cluster's limit: librdkafka's mock (2.0.2, Debian's) keeps at most 5 MiB per partition,
 * dropping the oldest batches beyond, and creates topics with 4 partitions (it has no CreateTopics):
 * about 20 MiB a topic, some 75k messages of this workload (about 260 bytes each). More messages on
 * the mock are refused before anything runs (`streamProblem`); 1M messages need --broker nats or a
 * real cluster (--kafka-brokers). Timed, `--repeat` times, tidemark then the floor in
 * each repeat, each in a fresh child process (this file, started with `--stream-child`) on a fresh
 * warehouse or output, so each side's peak RSS is its own:
 *
 *   tidemark  `runPipeline` (session opened untimed) of `{ kind: 'kafka' | 'nats', format: 'json' }`
 *             with the transform `SELECT <the standard columns> FROM source` into a table keyed by
 *             id (precombine ts) and partitioned by dt, as the standard table: open the stream, read
 *             every message, spool, DuckDB's read_json, the checks, the Hudi commit, the run log.
 *   floor     the same adapter (`openKafkaStream` / `openNatsStream`), every partition's whole range
 *             read, the values written as JSON lines to a file, `CREATE TABLE t AS SELECT * FROM
 *             read_json(file, format = 'newline_delimited')` and `COPY t TO 'x.parquet'` in
 *             @duckdb/node-api (instance created untimed): the floor of landing the messages as Parquet.
 *
 * Seconds are taken in the child around the step only (no process start-up, no session open); peak
 * RSS is the child's maxRSS over its life, step RSS the highest RSS sampled during the step. The
 * floor's record also splits its seconds into the read (broker to file) and DuckDB (read_json + COPY).
 * Checked once (untimed, repeat 0): the run's status and messages read, the table's row count and
 * distinct ids against the distinct keys produced, and a sample of 200 rows against the source
 * values; the floor's row count too.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { runPipeline } from '../src/pipeline/run-pipeline.ts';
import type { PipelineDefinition, SourceDefinition } from '../src/pipeline/definition.ts';
import { TidemarkSession } from '../src/session.ts';
import { openKafkaStream } from '../src/streams/kafka-stream.ts';
import { openNatsStream } from '../src/streams/nats-stream.ts';
import type { StreamClient } from '../src/streams/stream-port.ts';
import { DAYS, type RowChunk, Workload } from './data.ts';
import type { StepRecord } from './driver.ts';
import { startKafkaMock } from './kafka-mock.ts';
import { fmtCount, median, peakRssMb, round4, sampled } from './measure.ts';
import { Model } from './model.ts';

/** The peer name of the step's records. */
export const STREAM = 'stream';
export type Broker = 'kafka' | 'nats';
export const NATS_SERVER = process.env.TIDEMARK_BENCH_NATS_URL || '127.0.0.1:4222';
/** Messages a Kafka send carries (setup). */
const SEND_BATCH = 10_000;
/** JetStream publishes in flight (setup). */
const NATS_IN_FLIGHT = 2_000;
/**
 * The most messages the mock cluster is asked to hold: 4 partitions of at most 5 MiB each (see the
 * header) take some 75k messages of about 260 bytes; below that with room for the partitions' skew.
 */
export const MOCK_MAX_MESSAGES = 60_000;
/** Rows compared value by value with the source. */
const SAMPLE = 200;
const COLUMNS = ['id', 'ts', 'dt', 'amount', 'qty', 'score', 'status', 'user_name', 'city', 'note'] as const;
/** The standard columns with the standard types (stage.ts): the JSON's ts is an ISO string, its qty a JSON number. */
const TRANSFORM = `SELECT CAST(id AS BIGINT) AS id, CAST(ts AS TIMESTAMP) AS ts, CAST(dt AS VARCHAR) AS dt, CAST(amount AS DOUBLE) AS amount, CAST(qty AS INTEGER) AS qty, CAST(score AS DOUBLE) AS score, CAST(status AS VARCHAR) AS status, CAST(user_name AS VARCHAR) AS user_name, CAST(city AS VARCHAR) AS city, CAST(note AS VARCHAR) AS note FROM source`;
const SELF = fileURLToPath(import.meta.url);

export interface StreamOptions {
  /** The bench's directory; the step works in `<dir>/stream`. */
  dir: string;
  messages: number;
  broker: Broker;
  /** A real Kafka cluster's bootstrap brokers instead of the mock (broker kafka only). */
  kafkaBrokers: string | undefined;
  seed: number;
  repeat: number;
  keep: boolean;
  /** Where child processes start (the repository, so tsx finds tsconfig.json). */
  cwd: string;
  record: (r: StepRecord) => void;
  log: (m: string) => void;
}

/** A source row as produced: its JSON fields, ts as microseconds for the check. */
interface SourceRow {
  id: number;
  tsUs: number;
  dt: string;
  amount: number;
  qty: number;
  score: number;
  status: string;
  user_name: string;
  city: string;
  note: string;
}

/** Where the children find the messages. */
type Where = { broker: 'kafka'; brokers: string; topic: string } | { broker: 'nats'; servers: string; stream: string };

/** What a child runs. */
interface ChildJob {
  side: 'tidemark' | 'floor';
  where: Where;
  /** The child's own directory (warehouse, spool, output), fresh. */
  dir: string;
  messages: number;
  /** Ids whose rows the tidemark child returns for the check (repeat 0 only). */
  sampleIds: number[] | undefined;
}

interface ChildResult {
  ok: boolean;
  error?: string;
  seconds: number;
  stepRssMb: number;
  peakRssMb: number;
  startRssMb: number;
  /** tidemark: the run's messages read; floor: the rows of t. */
  rows: number;
  /** floor: broker to file, and DuckDB's part. */
  readSeconds?: number;
  duckSeconds?: number;
  bytes?: number;
  check?: { count: number; distinct: number; sample: Array<Record<string, unknown>> };
}

/** Why the step cannot run as asked (checked before the bench starts), or undefined. */
export function streamProblem(messages: number, broker: Broker, kafkaBrokers: string | undefined): string | undefined {
  if (broker === 'nats' && kafkaBrokers !== undefined) return '--kafka-brokers is for --broker kafka';
  if (broker === 'kafka' && kafkaBrokers === undefined && messages > MOCK_MAX_MESSAGES) {
    return `the stream step's ${fmtCount(messages)} messages do not fit the mock Kafka cluster (librdkafka's mock keeps at most 5 MiB in each of a topic's 4 partitions, about 75k of these messages; see bench/stream.ts): use --broker nats, a real cluster with --kafka-brokers HOST:PORT, --messages ${fmtCount(MOCK_MAX_MESSAGES)} or fewer, or --no-stream`;
  }
  return undefined;
}

/** Runs the stream step; false when a side failed or the check did not pass (its record says why). */
export async function runStream(o: StreamOptions): Promise<boolean> {
  const dir = path.join(o.dir, 'stream');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const step = `stream_${o.broker}`;
  let stopBroker: () => Promise<void> = async () => undefined;
  try {
    const t0 = performance.now();
    const file = path.join(dir, 'messages.jsonl');
    const { sample, distinct } = generate(o.messages, o.seed, file);
    const genSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    let where: Where;
    if (o.broker === 'kafka') {
      let brokers = o.kafkaBrokers;
      if (brokers === undefined) {
        const mock = await startKafkaMock();
        stopBroker = mock.stop;
        brokers = mock.brokers;
      }
      const topic = `tidemark_bench_${randomUUID().slice(0, 8)}`;
      await produceKafka(brokers, topic, file, o.messages, o.kafkaBrokers === undefined);
      where = { broker: 'kafka', brokers, topic };
      if (o.kafkaBrokers !== undefined) stopBroker = () => deleteKafkaTopic(brokers, topic);
    } else {
      const stream = `tidemark_bench_${randomUUID().slice(0, 8)}`;
      stopBroker = () => deleteNatsStream(stream);
      await publishNats(stream, file, o.messages);
      where = { broker: 'nats', servers: NATS_SERVER, stream };
    }
    const bytes = fs.statSync(file).size;
    o.log(`stream: ${fmtCount(o.messages)} messages (${(bytes / 2 ** 20).toFixed(0)} MiB of JSON, ${distinct} distinct keys) generated in ${genSeconds.toFixed(1)} s, ${o.broker === 'kafka' ? `produced to ${o.kafkaBrokers === undefined ? 'the mock Kafka cluster' : `Kafka at ${o.kafkaBrokers}`}` : `published to NATS ${NATS_SERVER}`} in ${((performance.now() - t1) / 1000).toFixed(1)} s (untimed)`);
    fs.rmSync(file, { force: true });

    let ok = true;
    for (let rep = 0; rep < o.repeat; rep++) {
      const results: Partial<Record<'tidemark' | 'floor', ChildResult>> = {};
      for (const side of ['tidemark', 'floor'] as const) {
        const childDir = path.join(dir, `${side}-r${rep}`);
        fs.mkdirSync(childDir, { recursive: true });
        try {
          const sampleIds = side === 'tidemark' && rep === 0 ? [...sample.keys()] : undefined;
          const r = await runChild({ side, where, dir: childDir, messages: o.messages, sampleIds }, o.cwd);
          results[side] = r;
          if (!r.ok) throw new Error(r.error ?? 'failed');
          if (r.check !== undefined) {
            const problems = checkTable(r, o.messages, distinct, sample);
            ok &&= problems.length === 0;
            o.log(`  stream correctness: ${problems.length === 0 ? `pass (${r.check.count} rows, ${r.check.distinct} distinct ids = keys produced, ${r.check.sample.length} sampled rows equal the source)` : `FAIL: ${problems.join('; ')}`}`);
            o.record({ peer: STREAM, step: 'correctness', rows: r.check.count, seconds: null, bytes_on_disk: null, peak_rss_mb: r.peakRssMb, ok: problems.length === 0, result: problems.length === 0 ? 'pass' : 'fail', problems, broker: o.broker, messages: o.messages });
          }
          if (side === 'floor' && r.rows !== o.messages) {
            results[side] = undefined; // no figure for a floor that did not land every message
            throw new Error(`the floor's table has ${r.rows} rows, not ${o.messages}`);
          }
          const extra = side === 'floor' ? ` (read ${r.readSeconds!.toFixed(2)} s, DuckDB ${r.duckSeconds!.toFixed(2)} s)` : '';
          o.log(`  stream ${o.broker} ${side.padEnd(8)} ${r.seconds.toFixed(2)} s${extra}  step RSS ${r.stepRssMb} MiB, peak ${r.peakRssMb} MiB (own process, ${r.startRssMb} MiB at start)`);
        } catch (error) {
          ok = false;
          const problem = `${side}: ${(error as Error).message}`;
          o.log(`  stream ${side} FAILED: ${problem}`);
          o.record({ peer: STREAM, step: `${step}_${side}`, rows: null, seconds: null, bytes_on_disk: null, peak_rss_mb: 0, ok: false, problems: [problem], repeat: rep, broker: o.broker, messages: o.messages });
        } finally {
          if (!o.keep) fs.rmSync(childDir, { recursive: true, force: true });
        }
      }
      const tm = results.tidemark;
      const fl = results.floor;
      for (const [side, r] of [['tidemark', tm], ['floor', fl]] as const) {
        if (r === undefined || !r.ok) continue;
        const ratio = side === 'tidemark' && fl?.ok ? +(r.seconds / fl.seconds).toFixed(3) : undefined;
        o.record({
          peer: STREAM,
          step: `${step}_${side}`,
          rows: r.rows,
          messages: o.messages,
          broker: o.broker,
          seconds: round4(r.seconds),
          bytes_on_disk: r.bytes ?? null,
          peak_rss_mb: r.peakRssMb,
          step_rss_mb: r.stepRssMb,
          start_rss_mb: r.startRssMb,
          ...(ratio === undefined ? {} : { ratio, floor_seconds: round4(fl!.seconds) }),
          ...(side === 'floor' ? { read_seconds: round4(r.readSeconds!), duck_seconds: round4(r.duckSeconds!) } : {}),
          isolated: true,
          repeat: rep,
          load_1m: +os.loadavg()[0]!.toFixed(2),
        });
      }
    }
    return ok;
  } finally {
    await stopBroker().catch((error: unknown) => o.log(`  stream: stopping the broker failed: ${(error as Error).message}`));
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the N base rows as JSON lines to `file`; keeps a sample of rows (by id) and counts the distinct ids. */
function generate(n: number, seed: number, file: string): { sample: Map<number, SourceRow>; distinct: number } {
  const step = Math.max(1, Math.floor(n / SAMPLE));
  const sample = new Map<number, SourceRow>();
  const seen = new Uint8Array(n);
  let distinct = 0;
  const fd = fs.openSync(file, 'w');
  try {
    new Workload(seed, DAYS).base(n, new Model(n), (c: RowChunk) => {
      let out = '';
      for (let j = 0; j < c.n; j++) {
        const id = Number(c.id[j]!);
        const tsUs = Number(c.tsUs[j]!);
        const row: SourceRow = { id, tsUs, dt: c.dt[j]!, amount: c.amount[j]!, qty: c.qty[j]!, score: c.score[j]!, status: c.status[j]!, user_name: c.user[j]!, city: c.city[j]!, note: c.note[j]! };
        if (seen[id] === 0) {
          seen[id] = 1;
          distinct++;
        }
        if (id % step === 0 && sample.size < SAMPLE) sample.set(id, row);
        out += `${JSON.stringify({ id, ts: isoMicros(tsUs), dt: row.dt, amount: row.amount, qty: row.qty, score: row.score, status: row.status, user_name: row.user_name, city: row.city, note: row.note })}\n`;
      }
      fs.writeSync(fd, out);
    });
  } finally {
    fs.closeSync(fd);
  }
  return { sample, distinct };
}

/** Microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC). */
function isoMicros(us: number): string {
  const seconds = Math.floor(us / 1e6);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(us - seconds * 1e6).padStart(6, '0')}`;
}

/** The file's lines in batches of `size`. */
async function* lineBatches(file: string, size: number): AsyncGenerator<string[]> {
  let batch: string[] = [];
  let partial = '';
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (l === '') continue;
      batch.push(l);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (partial !== '') batch.push(partial);
  if (batch.length > 0) yield batch;
}

/** The id of a generated line (it starts `{"id":N,`). */
function idOf(line: string): string {
  return line.slice(6, line.indexOf(',', 6));
}

/**
 * Produces the file's lines to a new topic, 10k a send, key = id: on the mock the first send creates
 * it (4 partitions), on a real cluster the admin client does (4 partitions). Then checks that every
 * partition starts at offset 0 and that they hold `messages` in all (the mock drops old batches
 * beyond 5 MiB a partition).
 */
async function produceKafka(brokers: string, topic: string, file: string, messages: number, mock: boolean): Promise<void> {
  const kafka = new Kafka({ clientId: 'tidemark-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!mock) await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: mock });
    await producer.connect();
    try {
      for await (const batch of lineBatches(file, SEND_BATCH)) {
        await producer.send({ topic, acks: 1, messages: batch.map((value) => ({ key: idOf(value), value })) });
      }
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const held = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    if (held !== messages || offsets.some((p) => p.low !== '0')) {
      throw new Error(`the topic holds ${held} of the ${messages} messages produced (partitions ${offsets.map((p) => `${p.partition}:${p.low}-${p.high}`).join(' ')})${mock ? `: the mock cluster keeps at most 5 MiB a partition; use --messages ${fmtCount(MOCK_MAX_MESSAGES)} or fewer, --broker nats or --kafka-brokers` : ''}`);
    }
  } finally {
    await admin.disconnect();
  }
}

async function deleteKafkaTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'tidemark-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Publishes the file's lines to a new JetStream stream (one subject), many in flight; checks it holds them all. */
async function publishNats(stream: string, file: string, messages: number): Promise<void> {
  const nc = await connect({ servers: NATS_SERVER, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const subject = `${stream}.rows`;
    await jsm.streams.add({ name: stream, subjects: [subject] });
    const js = jetstream(nc);
    for await (const batch of lineBatches(file, NATS_IN_FLIGHT)) {
      await Promise.all(batch.map((line) => js.publish(subject, line)));
    }
    const state = (await jsm.streams.info(stream)).state;
    if (state.messages !== messages || state.first_seq !== 1) throw new Error(`the stream holds ${state.messages} of the ${messages} messages published (sequences ${state.first_seq}..${state.last_seq}): check the server's JetStream limits`);
  } finally {
    await nc.close();
  }
}

async function deleteNatsStream(stream: string): Promise<void> {
  const nc = await connect({ servers: NATS_SERVER, reconnect: false });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream);
  } finally {
    await nc.close();
  }
}

/** The table's check: row count and distinct ids against the keys produced, the sample against the source rows. */
function checkTable(r: ChildResult, messages: number, distinct: number, sample: ReadonlyMap<number, SourceRow>): string[] {
  const problems: string[] = [];
  const c = r.check!;
  if (r.rows !== messages) problems.push(`the run read ${r.rows} messages, not ${messages}`);
  if (c.count !== distinct) problems.push(`the table has ${c.count} rows, not the ${distinct} distinct keys produced`);
  if (c.distinct !== distinct) problems.push(`the table has ${c.distinct} distinct ids, not ${distinct}`);
  if (c.sample.length !== sample.size) problems.push(`${c.sample.length} of the ${sample.size} sampled ids found`);
  let wrong = 0;
  for (const got of c.sample) {
    const want = sample.get(Number(got.id));
    const diffs = want === undefined ? ['id'] : COLUMNS.filter((k) => (k === 'ts' ? Number(got.ts_us) !== want.tsUs : k === 'id' ? Number(got.id) !== want.id : got[k] !== want[k]));
    if (diffs.length > 0 && wrong++ < 3) problems.push(`row id ${String(got.id)} differs in ${diffs.join(', ')}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }
  if (wrong > 3) problems.push(`${wrong} sampled rows differ in all`);
  return problems;
}

/** Runs one side in a fresh child process (this file with --stream-child), its output passed on to stderr, prefixed. */
function runChild(job: ChildJob, cwd: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const k of ['TIDEMARK_METASTORE_URL', 'TIDEMARK_WAREHOUSE', 'TIDEMARK_CATALOG', 'NODE_OPTIONS']) delete env[k];
    const child = fork(SELF, ['--stream-child'], { cwd, env, execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let tail = '';
    let result: ChildResult | undefined;
    for (const s of [child.stdout!, child.stderr!]) {
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-4000);
        process.stderr.write(chunk.replace(/^(?=.)/gm, `  [stream ${job.side} child ${child.pid ?? '?'}] `));
      });
    }
    child.on('message', (m: ChildResult) => void (result = m));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`the child exited (${signal ?? code}) without a result${tail ? `; its output ended with: ${tail.trim()}` : ''}`));
    });
    child.send(job);
  });
}

/** The child's side: one timed run of `job`, the result sent back. */
async function childMain(job: ChildJob): Promise<ChildResult> {
  process.chdir(job.dir); // DuckDB spills to ./.tmp: inside the child's directory
  return job.side === 'tidemark' ? tidemarkSide(job) : floorSide(job);
}

function sourceOf(where: Where): SourceDefinition {
  return where.broker === 'kafka'
    ? { kind: 'kafka', brokers: where.brokers, topic: where.topic, format: 'json' }
    : { kind: 'nats', servers: where.servers, stream: where.stream, format: 'json' };
}

async function tidemarkSide(job: ChildJob): Promise<ChildResult> {
  const warehouse = path.join(job.dir, 'warehouse');
  const def: PipelineDefinition = {
    name: 'stream_bench',
    source: sourceOf(job.where),
    transform: TRANSFORM,
    target: { table: 'bench.stream', recordKey: ['id'], precombine: 'ts', partitionBy: ['dt'] },
  };
  const session = await TidemarkSession.open({ warehouse, catalog: path.join(job.dir, 'no-catalog') });
  try {
    gc();
    const startRssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
    const { value: run, seconds, stepRssMb } = await sampled(() => runPipeline(session.context, def));
    const base = { seconds, stepRssMb, peakRssMb: peakRssMb(), startRssMb, rows: run.recordsRead };
    if (run.status !== 'SUCCESS') return { ...base, ok: false, error: `the run ended ${run.status}: ${run.error ?? ''}` };
    const root = path.join(warehouse, 'bench', 'stream');
    let check: ChildResult['check'];
    if (job.sampleIds !== undefined) {
      const scan = `tidemark_scan('${root.replaceAll("'", "''")}')`;
      const [counts] = await session.engine.sql(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${scan}`);
      const ids = job.sampleIds.length ? job.sampleIds.join(',') : '-1';
      const sample = await session.engine.sql(`SELECT id, epoch_us(ts) AS ts_us, dt, amount, qty, score, status, user_name, city, note FROM ${scan} WHERE id IN (${ids}) ORDER BY id`);
      check = { count: Number(counts!.n), distinct: Number(counts!.d), sample: sample.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) };
    }
    return { ...base, ok: true, bytes: dirBytes(root), ...(check === undefined ? {} : { check }) };
  } finally {
    await session.close();
  }
}

async function floorSide(job: ChildJob): Promise<ChildResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const file = path.join(job.dir, 'values.jsonl');
  const out = path.join(job.dir, 'x.parquet');
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  try {
    gc();
    const startRssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
    let readSeconds = 0;
    const { seconds, stepRssMb } = await sampled(async () => {
      const t0 = performance.now();
      const client: StreamClient = job.where.broker === 'kafka'
        ? await openKafkaStream({ brokers: job.where.brokers, topic: job.where.topic })
        : await openNatsStream({ servers: job.where.servers, stream: job.where.stream });
      const fd = fs.openSync(file, 'w');
      try {
        const ranges = (await client.partitions()).filter((p) => p.latest > p.earliest).map((p) => ({ partition: p.partition, from: p.earliest, to: p.latest }));
        const nl = Buffer.from('\n');
        await client.read(ranges, (messages) => {
          const parts: Uint8Array[] = [];
          for (const m of messages) if (m.value !== null) parts.push(m.value, nl);
          fs.writeSync(fd, Buffer.concat(parts));
        });
      } finally {
        fs.closeSync(fd);
        await client.close();
      }
      readSeconds = (performance.now() - t0) / 1000;
      await conn.run(`CREATE TABLE t AS SELECT * FROM read_json(${q(file)}, format = 'newline_delimited')`);
      await conn.run(`COPY t TO ${q(out)} (FORMAT parquet)`);
    });
    const rows = Number((await conn.runAndReadAll('SELECT count(*) FROM t')).getRows()[0]![0]);
    return { ok: true, seconds, stepRssMb, peakRssMb: peakRssMb(), startRssMb, rows, readSeconds, duckSeconds: seconds - readSeconds, bytes: fs.statSync(out).size };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function dirBytes(p: string): number {
  let s = 0;
  for (const e of fs.readdirSync(p, { recursive: true, withFileTypes: true })) if (e.isFile()) s += fs.statSync(path.join(e.parentPath, e.name)).size;
  return s;
}

/** The stream step's summary: per broker, tidemark and the floor, median seconds, the median ratio, the highest peak RSS. */
export function streamTable(records: ReadonlyArray<StepRecord>, repeats: number): string {
  const lines = ['| broker | messages | side | s | ratio to floor | peak RSS MiB | step RSS MiB | floor: read s / DuckDB s |', '|---|---:|---|---:|---:|---:|---:|---|'];
  const failed: string[] = [];
  for (const r of records) if (r.peer === STREAM && r.ok === false) failed.push(`${r.step}${r.repeat === undefined ? '' : ` (repeat ${String(r.repeat)})`}: ${(r.problems as string[]).join('; ')}`);
  for (const broker of ['kafka', 'nats'] as const) {
    for (const side of ['tidemark', 'floor'] as const) {
      const rs = records.filter((r) => r.peer === STREAM && r.step === `stream_${broker}_${side}` && typeof r.seconds === 'number');
      if (rs.length === 0) continue;
      const secs = median(rs.map((r) => r.seconds as number));
      const ratio = side === 'tidemark' && rs.some((r) => r.ratio !== undefined) ? `${median(rs.filter((r) => r.ratio !== undefined).map((r) => Number(r.ratio))).toFixed(2)}×` : side === 'floor' ? '1.00×' : '–';
      const split = side === 'floor' ? `${median(rs.map((r) => Number(r.read_seconds))).toFixed(2)} / ${median(rs.map((r) => Number(r.duck_seconds))).toFixed(2)}` : '';
      lines.push(`| ${broker} | ${fmtCount(Number(rs[0]!.messages))} | ${side} | ${secs.toFixed(2)} | ${ratio} | ${Math.max(...rs.map((r) => r.peak_rss_mb))} | ${Math.max(...rs.map((r) => Number(r.step_rss_mb)))} | ${split} |`);
    }
  }
  const note = failed.length ? `\n\nstream FAILED:\n  - ${failed.join('\n  - ')}` : '';
  return `Seconds of the step alone in a fresh child process per side and repeat (no start-up, no session open): medians over ${repeats} repeat(s); ratio: median over repeats of the ratio within each repeat; peak RSS: the highest maxRSS of that side's children; step RSS: the highest RSS sampled during the step.\n\n${lines.join('\n')}${note}`;
}

if (process.argv[2] === '--stream-child' && process.argv[1] !== undefined && path.resolve(process.argv[1]) === SELF) {
  if (process.send === undefined) {
    process.stderr.write('bench/stream.ts --stream-child runs one side of the stream step for bench/run.ts; start the bench with npm run bench\n');
    process.exit(2);
  }
  process.once('message', (job: ChildJob) => {
    childMain(job)
      .catch((error: unknown): ChildResult => ({ ok: false, error: String((error as Error)?.stack ?? error), seconds: 0, stepRssMb: 0, peakRssMb: peakRssMb(), startRssMb: 0, rows: 0 }))
      .then((r) =>
        process.send!(r, undefined, {}, () => {
          process.disconnect();
          // Exits by itself once idle; a client left holding the event loop must not hang the bench.
          setTimeout(() => process.exit(0), 5000).unref();
        }),
      );
  });
}

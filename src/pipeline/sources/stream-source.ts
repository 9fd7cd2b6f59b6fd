/**
 * A stream source (Kafka topic, NATS JetStream stream), read as HoodieStreamer reads Kafka: each
 * run takes every partition's offsets at its start, reads from the checkpoint in the target's last
 * commit of this pipeline up to them (or `maxRecords`), and hands the run a new checkpoint for the
 * commit's `extraMetadata` under Hudi's key. Data and position land in one commit, so a run killed
 * anywhere neither loses nor repeats a message; consumer-group offsets are never committed.
 *
 * Rows: the decoded value's fields (`json`) or `value` (`text`), plus `_topic`, `_partition`,
 * `_offset`, `_timestamp` (UTC) and `_key` (the Kafka key, or the NATS subject).
 */
import { InvalidArgumentError, InvalidInputError, StorageError, messageOf } from '../../errors.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import { removeRowFile, writeRowFile } from '../../storage/row-files.ts';
import { planOffsets, type OffsetPlan } from '../../streams/offset-plan.ts';
import { CHECKPOINT_KEY, formatCheckpoint, parseCheckpoint } from '../../streams/stream-checkpoint.ts';
import type { StreamClient, StreamMessage } from '../../streams/stream-port.ts';
import type { KafkaSource, NatsSource } from '../definition.ts';
import type { Window } from '../window.ts';
import type { CheckpointLookup, CheckpointedSource, SourcePosition } from './checkpointed.ts';
import type { Source, SourceContext } from './source.ts';
import { UNDECODABLE, findUndecodable, spoolLine } from './stream-lines.ts';

/** The columns every stream row has besides the value's. */
export const STREAM_COLUMNS = ['_topic', '_partition', '_offset', '_timestamp', '_key'] as const;

/** Opens the stream a definition names (`open-stream.ts`). */
export type StreamOpener = () => Promise<StreamClient>;

export class StreamSourceReader implements Source, CheckpointedSource {
  private lookup: CheckpointLookup | undefined;
  private plan: OffsetPlan | undefined;
  private streamName: string | undefined;
  /** Whether the run must publish its checkpoint even when it writes nothing (it read or skipped messages). */
  private moved = false;

  constructor(
    private readonly def: KafkaSource | NatsSource,
    private readonly ctx: SourceContext,
    private readonly open: StreamOpener,
    /** Read every retained message, whatever the checkpoint (a full refresh). */
    private readonly fromEarliest = false,
  ) {}

  resume(lookup: CheckpointLookup): void {
    this.lookup = lookup;
  }

  /** A stream has no clock of its own: the run's window is processing time. */
  async windowEnd(now: Date): Promise<Date> {
    return now;
  }

  async extract(_window: Window, target: string): Promise<number | undefined> {
    const client = await this.open();
    try {
      this.streamName = client.name;
      const previous = await this.lookup?.(CHECKPOINT_KEY);
      const from = previous?.from;
      const checkpoint = previous === undefined ? undefined : parseCheckpoint(previous.value, from!);
      if (checkpoint !== undefined && checkpoint.name !== client.name && !this.fromEarliest) {
        throw new InvalidArgumentError(
          `the checkpoint in ${from} is for ${checkpoint.name}, but the source reads ${client.name}: to start over from the new one's earliest offsets, run with --full-refresh`,
          { value: client.name },
        );
      }
      const plan = planOffsets({
        name: `${this.kindName()} ${client.name}`,
        partitions: await client.partitions(),
        checkpoint: checkpoint?.offsets,
        ...(from === undefined ? {} : { checkpointFrom: from }),
        startingOffsets: this.def.startingOffsets ?? 'earliest',
        onOutOfRange: this.def.onOffsetOutOfRange ?? 'fail',
        ...(this.def.maxRecords === undefined ? {} : { maxRecords: this.def.maxRecords }),
        fromEarliest: this.fromEarliest,
      });
      this.plan = plan;
      const changed = checkpoint === undefined ? plan.ranges.length > 0 : formatCheckpoint({ name: client.name, offsets: plan.next }) !== previous!.value;
      this.moved = changed && (plan.ranges.length > 0 || plan.outOfRange.length > 0);
      if (plan.ranges.length === 0 && plan.outOfRange.length === 0) return undefined;
      return await this.stage(client, plan, target);
    } finally {
      await client.close().catch(() => undefined); // cleanup: the outcome is decided above
    }
  }

  /** Reads the plan's ranges into `target`; returns the messages read. */
  private async stage(client: StreamClient, plan: OffsetPlan, target: string): Promise<number> {
    const format = this.def.format ?? 'json';
    const file = await writeRowFile('');
    try {
      let count = 0;
      try {
        await client.read(plan.ranges, async (messages: ReadonlyArray<StreamMessage>) => {
          count += messages.length;
          await this.ctx.store.append(file, messages.map((m) => spoolLine(client.name, m, format)).join(''));
        });
      } catch (error) {
        if (error instanceof InvalidInputError) throw error;
        throw new StorageError(`reading ${this.describe()} failed: ${messageOf(error)}`, { value: client.name, cause: error });
      }
      const duck = this.ctx.engine.duck;
      const meta = `_partition::INTEGER AS _partition, _offset::BIGINT AS _offset, epoch_ms(_timestamp::BIGINT) AS _timestamp`;
      const rows = count === 0
        ? `SELECT NULL::VARCHAR AS _topic, NULL::INTEGER AS _partition, NULL::BIGINT AS _offset, NULL::TIMESTAMP AS _timestamp, NULL::VARCHAR AS _key WHERE false`
        // Every line is sampled, so a field first seen late in the batch is a column, not dropped.
        : `SELECT * REPLACE (${meta}) FROM read_json(${sqlString(file)}, format = 'newline_delimited', sample_size = -1)`;
      try {
        await duck.run(`CREATE TABLE ${target} AS ${rows}`);
      } catch (error) {
        const bad = await findUndecodable(file, messageOf(error));
        if (bad !== undefined) {
          const what = bad.decodes ? 'cannot be read' : `is not ${format === 'json' ? 'a JSON object' : 'text'}`;
          throw new InvalidInputError(`${this.describe()}: the message at partition ${bad.partition} offset ${bad.offset} ${what}: ${bad.reason}`, { value: bad.offset, cause: error });
        }
        throw new InvalidInputError(`decoding the messages of ${this.describe()} failed: ${messageOf(error)}`, { value: client.name, cause: error });
      }
      await this.refuseUndecodable(target, format);
      return count;
    } finally {
      await removeRowFile(file);
    }
  }

  /** Fails on the first message `spoolLine` marked as not decodable (not an object, not UTF-8); drops the marker column. */
  private async refuseUndecodable(target: string, format: 'json' | 'text'): Promise<void> {
    const duck = this.ctx.engine.duck;
    const columns = await duck.column<string>(`SELECT column_name FROM (DESCRIBE ${target})`);
    if (!columns.includes(UNDECODABLE)) return;
    const [bad] = await duck.rows(`SELECT _partition AS p, _offset AS o, CAST(${UNDECODABLE} AS VARCHAR) AS why FROM ${target} WHERE ${UNDECODABLE} IS NOT NULL ORDER BY _partition, _offset LIMIT 1`);
    if (bad !== undefined) {
      const why = bad.why === 'not UTF-8' ? 'its bytes are not UTF-8' : `it is ${String(bad.why)}`;
      throw new InvalidInputError(`${this.describe()}: the message at partition ${String(bad.p)} offset ${String(bad.o)} is not ${format === 'json' ? 'a JSON object' : 'text'}: ${why}`, { value: String(bad.o) });
    }
    await duck.run(`ALTER TABLE ${target} DROP COLUMN ${UNDECODABLE}`);
  }

  checkpoint(): Readonly<Record<string, string>> {
    if (this.plan === undefined || this.streamName === undefined || !this.moved) return {};
    return { [CHECKPOINT_KEY]: formatCheckpoint({ name: this.streamName, offsets: this.plan.next }) };
  }

  mustPublish(): boolean {
    return this.moved;
  }

  position(): SourcePosition | undefined {
    if (this.plan === undefined || this.streamName === undefined) return undefined;
    const skipped = this.plan.outOfRange.reduce((n, o) => n + Number(o.skipped), 0);
    return {
      checkpoint: formatCheckpoint({ name: this.streamName, offsets: this.plan.next }),
      lag: this.plan.lag,
      skipped,
      ...(this.plan.outOfRange.length === 0 ? {} : {
        warning: this.plan.outOfRange.map((o) =>
          `${this.describe()} partition ${o.partition}: checkpoint ${o.checkpoint} was out of range (earliest ${o.earliest}, latest ${o.latest}); went on at ${o.resumedAt} as onOffsetOutOfRange '${this.def.onOffsetOutOfRange}' says, skipping ${o.skipped} message(s)`).join('; '),
      }),
    };
  }

  describe(): string {
    const where = this.def.kind === 'kafka' ? `on ${[this.def.brokers].flat().join(',')}` : `on ${[this.def.servers].flat().join(',')}`;
    const ranges = this.plan === undefined || this.plan.ranges.length === 0 ? '' : ` (offsets ${this.plan.ranges.map((r) => `${r.partition}:${r.from}-${r.to - 1n}`).join(', ')})`;
    return `${this.kindName()} ${this.def.kind === 'kafka' ? this.def.topic : this.def.stream} ${where}${ranges}`;
  }

  /** The message a row came from: its partition and offset. */
  async locate(target: string, predicate: string): Promise<string | undefined> {
    const [hit] = await this.ctx.engine.duck.rows(`SELECT _partition AS p, _offset AS o FROM ${target} WHERE (${predicate}) ORDER BY _partition, _offset LIMIT 1`);
    if (hit === undefined) return undefined;
    return `the message at partition ${String(hit.p)} offset ${String(hit.o)} of ${this.describe()}`;
  }

  private kindName(): string {
    return this.def.kind === 'kafka' ? 'Kafka topic' : 'NATS stream';
  }
}

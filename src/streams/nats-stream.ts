/**
 * The stream port on a NATS JetStream stream: one partition, 0, whose offsets are the stream's
 * sequence numbers. A read is an ordered consumer (ephemeral, in memory, no acks) starting at the
 * range's first sequence, optionally filtered on one subject (`filter_subject`, which servers before
 * 2.10 accept, unlike `filter_subjects`). A read ends at the first message at or past the range's
 * end, or when the consumer reports nothing more pending: with a filter, or messages deleted, there
 * may be no message at `to - 1` to wait for.
 */
import {
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamState,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { StorageError, messageOf } from '../errors.ts';
import { rangesToRead } from './offset-ranges.ts';
import type { OffsetRange, PartitionOffsets, StreamClient, StreamMessage } from './stream-port.ts';

/** How to reach a JetStream stream. */
export interface NatsStreamOptions {
  /** The servers (`host:port` or `nats://…` URLs): a list, or one string (comma-separated for several). */
  readonly servers: string | readonly string[];
  readonly stream: string;
  /** Read only the messages of this subject (wildcards allowed); default every subject of the stream. */
  readonly subject?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

/** The most messages handed to `onBatch` at once. */
const BATCH_SIZE = 1000;

/** Connects to the servers and checks the stream exists (it is never created); the caller must `close()` the client. */
export async function openNatsStream(options: NatsStreamOptions): Promise<StreamClient> {
  const servers = (typeof options.servers === 'string' ? options.servers.split(',') : [...options.servers]).map((s) => s.trim()).filter((s) => s !== '');
  const where = `NATS stream "${options.stream}" at ${servers.join(',')}`;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.pass === undefined ? {} : { pass: options.pass }),
      ...(options.token === undefined ? {} : { token: options.token }),
    });
  } catch (error) {
    throw new StorageError(`${where}: cannot connect: ${messageOf(error)}`, { cause: error });
  }
  try {
    const jsm = await jetstreamManager(nc);
    const client = new NatsStream(nc, jsm, jetstream(nc), options.stream, options.subject, where);
    await client.partitions();
    return client;
  } catch (error) {
    await nc.close().catch(() => undefined); // the failure to open is the error to report
    throw error instanceof StorageError ? error : new StorageError(`${where}: ${messageOf(error)}`, { cause: error });
  }
}

/** One delivered message, as the port gives it. */
function toStreamMessage(message: JsMsg): StreamMessage {
  return { partition: 0, offset: BigInt(message.seq), timestamp: message.time, key: message.subject, value: message.data };
}

class NatsStream implements StreamClient {
  readonly name: string;
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #subject: string | undefined;
  readonly #where: string;

  constructor(nc: NatsConnection, jsm: JetStreamManager, js: JetStreamClient, stream: string, subject: string | undefined, where: string) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = js;
    this.name = stream;
    this.#subject = subject;
    this.#where = where;
  }

  /** The error of a failed JetStream call: a missing stream said plainly. */
  #wrap(what: string, error: unknown): StorageError {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return new StorageError(`${this.#where}: the stream does not exist`, { cause: error });
    }
    return new StorageError(`${this.#where}: ${what}: ${messageOf(error)}`, { cause: error });
  }

  async partitions(): Promise<PartitionOffsets[]> {
    let state: StreamState;
    try {
      ({ state } = await this.#jsm.streams.info(this.name));
    } catch (error) {
      throw this.#wrap('cannot get the stream state', error);
    }
    // An empty stream reports first_seq = last_seq + 1 once it held messages, and 0, 0 when new:
    // either way the next message gets last_seq + 1.
    const latest = BigInt(state.last_seq) + 1n;
    return [{ partition: 0, earliest: state.messages === 0 ? latest : BigInt(state.first_seq), latest }];
  }

  async read(ranges: ReadonlyArray<OffsetRange>, onBatch: (messages: ReadonlyArray<StreamMessage>) => Promise<void> | void): Promise<void> {
    const [range] = rangesToRead(this.#where, ranges, await this.partitions());
    if (range === undefined) return;
    let consumer: Consumer;
    try {
      consumer = await this.#js.consumers.get(this.name, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Number(range.from),
        // A string becomes the consumer's single `filter_subject`, which servers before 2.10 accept.
        ...(this.#subject === undefined ? {} : { filter_subjects: this.#subject }),
      });
      // Nothing on the subject from `from` on: no message will come to end the read.
      if ((await consumer.info(true)).num_pending === 0) return;
    } catch (error) {
      throw this.#wrap('cannot create a consumer', error);
    }
    let messages: ConsumerMessages;
    try {
      messages = await consumer.consume({ max_messages: BATCH_SIZE });
    } catch (error) {
      throw this.#wrap('cannot start reading', error);
    }
    try {
      let batch: StreamMessage[] = [];
      for await (const message of messages) {
        const offset = BigInt(message.seq);
        const past = offset >= range.to;
        if (!past) batch.push(toStreamMessage(message));
        const last = past || offset + 1n >= range.to || message.info.pending === 0;
        if (batch.length > 0 && (last || batch.length >= BATCH_SIZE)) {
          await onBatch(batch);
          batch = [];
        }
        if (last) return;
      }
    } finally {
      await messages.close().catch(() => undefined); // the read's own outcome is what the caller gets
    }
    // The iterator ended before the range did: the connection closed, or the stream went away.
    throw new StorageError(`${this.#where}: the read of [${range.from},${range.to}) ended early (closed, or the stream was deleted)`);
  }

  async close(): Promise<void> {
    if (this.#nc.isClosed()) return;
    try {
      await this.#nc.close();
    } catch (error) {
      throw new StorageError(`${this.#where}: cannot close the connection: ${messageOf(error)}`, { cause: error });
    }
  }
}

/**
 * Stream sources as declared: the README's examples load as a user's catalog would (importing
 * `tidemark`), and bad stream options are refused naming the option and the file.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/definitions/load-catalog.ts';
import { validatePipeline } from '../../src/pipeline/definition.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { spoolLine } from '../../src/pipeline/sources/stream-lines.ts';

const examples = path.join(import.meta.dirname, '..', '..', 'docs', 'examples', 'streams');
const target = { table: 'raw.events', recordKey: ['id'] };

describe('stream source definitions', () => {
  it('the examples load as a catalog', async () => {
    const catalog = await loadCatalog(new LocalFileStore(), examples);
    expect([...catalog.pipelines.keys()].sort()).toEqual(['feed_pins', 'game_events_raw']);
    expect(catalog.pipelines.get('game_events_raw')!.source).toMatchObject({ kind: 'kafka', topic: 'game-events' });
    expect(catalog.pipelines.get('feed_pins')!.source).toMatchObject({ kind: 'nats', stream: 'FEED' });
  });

  it.each([
    [{ kind: 'kafka', topic: 't' }, /kafka source needs brokers/],
    [{ kind: 'kafka', brokers: 'b:9092', topic: 'bad topic' }, /topic "bad topic" is not a Kafka topic name/],
    [{ kind: 'kafka', brokers: [], topic: 't' }, /kafka source needs brokers/],
    [{ kind: 'nats', servers: 'n:4222', stream: 'A.B' }, /stream "A.B" is not a JetStream stream name/],
    [{ kind: 'nats', stream: 'A' }, /nats source needs servers/],
    [{ kind: 'kafka', brokers: 'b', topic: 't', format: 'avro' }, /format "avro" is not json or text/],
    [{ kind: 'kafka', brokers: 'b', topic: 't', startingOffsets: 'now' }, /startingOffsets "now" is not earliest or latest/],
    [{ kind: 'nats', servers: 'n', stream: 'S', onOffsetOutOfRange: 'skip' }, /onOffsetOutOfRange "skip" is not fail, earliest or latest/],
    [{ kind: 'nats', servers: 'n', stream: 'S', maxRecords: 0 }, /maxRecords 0 is not a whole number ≥ 1/],
  ])('refuses %j', (source, message) => {
    expect(() => validatePipeline({ name: 'p', source, target }, '/cat/p.ts')).toThrow(message);
    expect(() => validatePipeline({ name: 'p', source, target }, '/cat/p.ts')).toThrow(/pipeline in \/cat\/p\.ts/);
  });
});

describe('messages as JSON lines', () => {
  const m = (value: string | null, key: string | null = 'k') => ({ partition: 1, offset: 7n, timestamp: new Date(1000), key, value: value === null ? null : new TextEncoder().encode(value) });
  it('splices a JSON object after the stream columns, unparsed', () => {
    expect(spoolLine('t', m('{"id": 1,\n "v": "a"}'), 'json')).toBe('{"_topic":"t","_partition":1,"_offset":7,"_timestamp":1000,"_key":"k","id": 1,  "v": "a"}\n');
    expect(spoolLine('t', m(' {} '), 'json')).toBe('{"_topic":"t","_partition":1,"_offset":7,"_timestamp":1000,"_key":"k"}\n');
  });
  it('a tombstone has only the stream columns; text is one string column', () => {
    expect(spoolLine('t', m(null, null), 'json')).toBe('{"_topic":"t","_partition":1,"_offset":7,"_timestamp":1000,"_key":null}\n');
    expect(spoolLine('t', m('a "quoted"\nline'), 'text')).toBe('{"_topic":"t","_partition":1,"_offset":7,"_timestamp":1000,"_key":"k","value":"a \\"quoted\\"\\nline"}\n');
  });
  it('marks what is not an object, or not UTF-8, for the run to refuse', () => {
    expect(spoolLine('t', m('[1,2]'), 'json')).toContain('"__tm_undecodable":"[1,2]"');
    const bad = { ...m(null), value: new Uint8Array([0xff, 0xfe]) };
    expect(spoolLine('t', bad, 'json')).toContain('"__tm_undecodable":"not UTF-8"');
  });
});

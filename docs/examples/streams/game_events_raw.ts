/**
 * Kafka → raw table: game events as they arrive on the `game-events` topic (JSON values such as
 * {"event_id": "e1", "player_id": 7, "kind": "level_up", "event_time": "2026-12-08T10:00:00Z", "version": 1}).
 *
 * Each run reads every partition from the checkpoint in the table's last commit up to the offsets
 * taken at its start (at most 500,000 messages a run), and commits the rows and the new offsets
 * together, so a run killed anywhere loses or repeats nothing. Run it from cron with `tidemark
 * daily-run`, or as a service: `tidemark daily-run --pipeline game_events_raw --continuous --interval 30s`.
 */
import { definePipeline } from 'tidemark';

export default definePipeline({
  name: 'game_events_raw',
  source: {
    kind: 'kafka',
    brokers: ['127.0.0.1:9092'],
    topic: 'game-events',
    format: 'json',
    maxRecords: 500_000,
    // A checkpoint that retention has already deleted fails the run (messages were lost) unless this says where to go on.
    onOffsetOutOfRange: 'fail',
  },
  // `_partition`, `_offset`, `_timestamp` and `_key` come with every message.
  transform: `
    SELECT event_id, player_id, kind, CAST(event_time AS TIMESTAMP) AS event_time, version,
           _partition AS kafka_partition, _offset AS kafka_offset, CAST(event_time AS DATE) AS event_date
    FROM source`,
  checks: [{ kind: 'not_null', column: 'player_id' }],
  target: { table: 'raw.game_events', recordKey: ['event_id'], precombine: 'version', partitionBy: ['event_date'] },
  schedule: 'always',
});

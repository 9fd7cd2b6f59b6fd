/**
 * NATS JetStream → table: pin updates published on `feed.pins.*` subjects of the `FEED` stream
 * (JSON values such as {"pin_id": 42, "board": "recipes", "title": "…", "updated_at": "2026-12-08T10:00:00Z"}).
 * The stream's sequence numbers are the offsets: the checkpoint in the table's commits is
 * `FEED,0:<next sequence>`.
 */
import { definePipeline } from 'tidemark';

export default definePipeline({
  name: 'feed_pins',
  source: { kind: 'nats', servers: '127.0.0.1:4222', stream: 'FEED', subject: 'feed.pins.*', startingOffsets: 'earliest' },
  transform: 'SELECT pin_id, board, title, CAST(updated_at AS TIMESTAMP) AS updated_at, _key AS subject FROM source',
  target: { table: 'feed.pins', recordKey: ['pin_id'], precombine: 'updated_at' },
  schedule: 'always',
});

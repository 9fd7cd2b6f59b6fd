/**
 * Bronze: raw orders, exactly as the shop's extracts land them.
 *
 * Every run picks up the JSON files under `landing/orders/` that are new or rewritten since the
 * last successful run (by file modification time) and upserts them into `bronze.orders`: one row
 * per `order_id`, the version with the newest `updated_at` winning. A late or replayed row with an
 * OLDER `updated_at` than the stored one loses, so re-reading a file is harmless.
 */
import { definePipeline } from '../src/pipeline/definition.ts';

export default definePipeline({
  name: 'bronze_orders',
  description: 'Raw order events from landing/orders/*.jsonl, latest version per order.',
  source: {
    kind: 'files',
    // `{warehouse}` is replaced by the warehouse directory; `*` matches the `day=N` folders.
    path: '{warehouse}/landing/orders/*/*.jsonl',
    format: 'json',
  },
  // No transform: bronze keeps the source's columns as they are (DuckDB infers the types).
  target: {
    table: 'bronze.orders',
    recordKey: ['order_id'],
    precombine: 'updated_at', // the newer version of an order wins
    partitionBy: ['order_date'], // one folder per day: rewrites touch only the days that changed
  },
  schedule: 'daily',
  // Files can land a little after a run started, or keep the modification time of the machine they
  // were copied from: every run also re-reads the files of the 2 hours before the last window ended.
  lookback: { hours: 2 },
});

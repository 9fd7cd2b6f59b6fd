/**
 * Bronze: raw customers (new sign-ups and profile changes) from `landing/customers/`, one row per
 * `customer_id`, newest `updated_at` winning. Small dimension tables are not partitioned.
 */
import { definePipeline } from '../src/pipeline/definition.ts';

export default definePipeline({
  name: 'bronze_customers',
  description: 'Raw customers from landing/customers/*.jsonl, latest version per customer.',
  source: { kind: 'files', path: '{warehouse}/landing/customers/*/*.jsonl', format: 'json' },
  target: { table: 'bronze.customers', recordKey: ['customer_id'], precombine: 'updated_at' },
  schedule: 'daily',
  lookback: { hours: 2 },
});

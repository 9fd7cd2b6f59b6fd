/**
 * Bronze: raw products (the catalog and its price changes) from `landing/products/`, one row per
 * `product_id`, newest `updated_at` winning.
 */
import { definePipeline } from '../src/pipeline/definition.ts';

export default definePipeline({
  name: 'bronze_products',
  description: 'Raw products from landing/products/*.jsonl, latest version per product.',
  source: { kind: 'files', path: '{warehouse}/landing/products/*/*.jsonl', format: 'json' },
  target: { table: 'bronze.products', recordKey: ['product_id'], precombine: 'updated_at' },
  schedule: 'daily',
  lookback: { hours: 2 },
});

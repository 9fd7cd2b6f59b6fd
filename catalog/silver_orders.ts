/**
 * Silver: clean, typed orders, enriched with the customer's country and the product's category.
 *
 * The source is the `bronze.orders` TABLE: each run reads only the orders that bronze commits
 * changed since the last run (no lookback needed: commits are exact). The transform is DuckDB SQL
 * over that batch, called `source`; `tidemark_scan('db.name')` reads a whole registered table (here
 * the customer and product dimensions). Checks run on the result before anything is written: one
 * failing check fails the run, and the next run retries the same window.
 */
import { definePipeline } from '../src/pipeline/definition.ts';

export default definePipeline({
  name: 'silver_orders',
  description: 'Typed, validated orders with customer country and product category.',
  source: { kind: 'table', table: 'bronze.orders' },
  transform: `
    SELECT
      o.order_id::BIGINT                 AS order_id,
      o.customer_id::BIGINT              AS customer_id,
      c.country                          AS customer_country,
      o.product_id::BIGINT               AS product_id,
      p.name                             AS product_name,
      p.category                         AS product_category,
      o.quantity::INTEGER                AS quantity,
      o.unit_price::DECIMAL(10, 2)       AS unit_price,  -- the price paid, not today's price
      o.amount::DECIMAL(12, 2)           AS amount,
      lower(trim(o.status))              AS status,
      o.order_date::DATE                 AS order_date,
      o.updated_at::TIMESTAMPTZ          AS updated_at
    FROM source AS o
    LEFT JOIN tidemark_scan('bronze.customers') AS c ON c.customer_id = o.customer_id
    LEFT JOIN tidemark_scan('bronze.products')  AS p ON p.product_id = o.product_id`,
  checks: [
    { kind: 'not_null', column: 'order_id' },
    { kind: 'unique', column: 'order_id' },
    { kind: 'not_null', column: 'order_date' },
    { kind: 'not_null', column: 'updated_at' },
    { kind: 'accepted_values', column: 'status', values: ['new', 'paid', 'shipped', 'delivered', 'cancelled'] },
    { kind: 'range', column: 'quantity', min: 1, max: 100 },
    { kind: 'range', column: 'amount', min: 0 },
    // Referential integrity: every order's customer and product must be known to bronze.
    { kind: 'sql', name: 'known customer', predicate: 'customer_country IS NOT NULL' },
    { kind: 'sql', name: 'known product', predicate: 'product_category IS NOT NULL' },
    { kind: 'sql', name: 'amount = quantity × unit_price', predicate: 'amount = quantity * unit_price' },
  ],
  target: {
    table: 'silver.orders',
    recordKey: ['order_id'],
    precombine: 'updated_at',
    partitionBy: ['order_date'],
  },
  schedule: 'daily',
});

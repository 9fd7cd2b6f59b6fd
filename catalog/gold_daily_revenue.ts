/**
 * Gold: revenue per order day, for dashboards.
 *
 * The source is `silver.orders`, read incrementally: its changed rows only tell WHICH days need
 * recomputing (a status update of an old order, or a late order, changes an old day). The transform
 * recomputes those days completely from the whole silver table, so each gold row is always the
 * full aggregate of its day, however the changes arrived.
 */
import { definePipeline } from '../src/pipeline/definition.ts';

export default definePipeline({
  name: 'gold_daily_revenue',
  description: 'Orders, customers, units and revenue per order day (cancelled orders excluded).',
  source: { kind: 'table', table: 'silver.orders' },
  transform: `
    SELECT
      s.order_date,
      count(*) FILTER (WHERE s.status <> 'cancelled')                               AS orders,
      count(*) FILTER (WHERE s.status = 'cancelled')                                AS cancelled_orders,
      count(DISTINCT s.customer_id) FILTER (WHERE s.status <> 'cancelled')          AS customers,
      coalesce(sum(s.quantity) FILTER (WHERE s.status <> 'cancelled'), 0)::BIGINT   AS units,
      coalesce(sum(s.amount) FILTER (WHERE s.status <> 'cancelled'), 0)::DECIMAL(14, 2) AS revenue,
      max(s.updated_at)                                                             AS updated_at
    FROM tidemark_scan('silver.orders') AS s
    WHERE s.order_date IN (SELECT DISTINCT order_date FROM source)
    GROUP BY s.order_date`,
  checks: [
    { kind: 'unique', column: 'order_date' },
    { kind: 'range', column: 'revenue', min: 0 },
  ],
  target: {
    table: 'gold.daily_revenue',
    recordKey: ['order_date'],
    // The newest change behind a day's numbers: a recomputation never loses to an older one.
    precombine: 'updated_at',
  },
  schedule: 'daily',
});

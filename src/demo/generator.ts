/**
 * The demo's source system: a small web shop whose customers, products and orders change day by
 * day, simulated deterministically from a seed (splitmix32), so every run of the demo lands the
 * same rows.
 *
 *   - day 1 is the initial extract: every customer and product, and a snapshot (latest state) of
 *     the orders of the last `historyDays` days;
 *   - day N ≥ 2 is that day's change extract: one row per change event — new orders (often with a
 *     second event the same day), status updates of older orders with a newer `updated_at`, orders
 *     of the day before that missed the previous extract (late rows), a few stale duplicates
 *     replaying an order's previous version with an OLDER `updated_at` than the one already
 *     delivered (they must lose), new customers, e-mail changes and product price changes.
 *
 * `generateDay` / `generateDays` are pure; `writeLanding` puts a batch into the warehouse's landing
 * area as newline-delimited JSON, `landing/<entity>/day=<N>/part-0.jsonl`.
 */
import path from 'node:path';
import { InvalidArgumentError } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import { splitmix32 } from '../util/random.ts';
import { type Customer, DEFAULT_GENERATOR_OPTIONS, type DayBatch, type GeneratorOptions, type Order, type OrderStatus, type Product } from './shop-types.ts';

export * from './shop-types.ts';
export { splitmix32 } from '../util/random.ts';

/** Day N's batch. */
export function generateDay(day: number, options: GeneratorOptions = {}): DayBatch {
  return generateDays(day, options)[day - 1]!;
}

/** The batches of days 1..`days` (day N's batch does not depend on how many days follow it). */
export function generateDays(days: number, options: GeneratorOptions = {}): DayBatch[] {
  if (!Number.isInteger(days) || days < 1) throw new InvalidArgumentError(`day ${days} is not a whole number from 1`, { value: days });
  const o = { ...DEFAULT_GENERATOR_OPTIONS, ...options };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.startDate) || Number.isNaN(Date.parse(`${o.startDate}T00:00:00Z`))) {
    throw new InvalidArgumentError(`startDate "${o.startDate}" is not a date (YYYY-MM-DD)`, { value: o.startDate });
  }
  return new Shop(o).run(days);
}

/** The files `writeLanding` writes for a batch, `landing/<entity>/day=<N>/part-0.jsonl` under `warehouse`, with their rows. */
export function landingFiles(warehouse: string, batch: DayBatch): Array<{ readonly file: string; readonly rows: ReadonlyArray<object> }> {
  const entities: Array<[string, ReadonlyArray<object>]> = [['customers', batch.customers], ['products', batch.products], ['orders', batch.orders]];
  return entities
    .filter(([, rows]) => rows.length > 0) // no file rather than an empty one (an empty file has no columns)
    .map(([entity, rows]) => ({ file: path.join(warehouse, 'landing', entity, `day=${batch.day}`, 'part-0.jsonl'), rows }));
}

/** Writes a batch as `landing/<entity>/day=<N>/part-0.jsonl` under `warehouse`; returns the files written. */
export async function writeLanding(store: FileStore, warehouse: string, batch: DayBatch): Promise<string[]> {
  const written: string[] = [];
  for (const { file, rows } of landingFiles(warehouse, batch)) {
    await store.writeAtomic(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    written.push(file);
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// The simulation.

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Daniel', 'Elena', 'Felix', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Liam', 'Maya', 'Noah', 'Olivia', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wen', 'Yara', 'Zoe', 'Aiko', 'Bruno', 'Carla', 'Dmitri', 'Emma'];
const LAST_NAMES = ['Andersson', 'Bauer', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kowalski', 'Lopez', 'Martin', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Novak', 'Weber', 'Young', 'Zimmermann', 'Moreau', 'Schmidt'];
/** Countries with weights (a shop selling mostly in Europe and North America). */
const COUNTRIES: ReadonlyArray<readonly [string, number]> = [['US', 22], ['DE', 16], ['GB', 12], ['FR', 11], ['NL', 7], ['ES', 7], ['IT', 6], ['SE', 4], ['PL', 4], ['CA', 5], ['JP', 3], ['AU', 3]];
/** Categories with item names and a price range (whole euros; cents are added). */
const CATEGORIES: ReadonlyArray<{ readonly name: string; readonly items: ReadonlyArray<string>; readonly min: number; readonly max: number }> = [
  { name: 'kitchen', items: ['Chef Knife', 'Cutting Board', 'French Press', 'Cast Iron Pan', 'Spice Rack', 'Kettle'], min: 12, max: 140 },
  { name: 'outdoor', items: ['Tent', 'Sleeping Bag', 'Headlamp', 'Water Bottle', 'Hiking Poles', 'Camp Stove'], min: 9, max: 320 },
  { name: 'office', items: ['Desk Lamp', 'Notebook', 'Monitor Stand', 'Fountain Pen', 'Desk Mat', 'Cable Tray'], min: 4, max: 90 },
  { name: 'audio', items: ['Headphones', 'Speaker', 'Microphone', 'Turntable', 'Earbuds', 'DAC'], min: 25, max: 450 },
  { name: 'home', items: ['Throw Blanket', 'Vase', 'Candle Set', 'Wall Clock', 'Plant Pot', 'Doormat'], min: 8, max: 110 },
];
const ADJECTIVES = ['Classic', 'Pro', 'Compact', 'Eco', 'Deluxe', 'Mini', 'Heritage', 'Nordic', 'Urban', 'Studio'];
const CENTS = [0.99, 0.95, 0.49, 0.5, 0.9, 0.79];

/** Previous status in the lifecycle (what a replayed older event says). */
const PREVIOUS: Readonly<Record<OrderStatus, OrderStatus>> = { new: 'new', paid: 'new', shipped: 'paid', delivered: 'shipped', cancelled: 'new' };

interface MutableOrder {
  order_id: number;
  customer_id: number;
  product_id: number;
  quantity: number;
  unit_price: number;
  amount: number;
  status: OrderStatus;
  order_date: string;
  createdMs: number;
  updatedMs: number;
  /** Placed after the cut-off of its day's extract: first delivered with the next batch. */
  late: boolean;
  /** Whether some batch has carried it already. */
  delivered: boolean;
}

interface MutableCustomer {
  customer_id: number;
  name: string;
  email: string;
  country: string;
  signup_date: string;
  updatedMs: number;
}

interface MutableProduct {
  product_id: number;
  name: string;
  category: string;
  /** Cents. */
  priceCents: number;
  updatedMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const toOrder = (o: MutableOrder): Order => ({
  order_id: o.order_id,
  customer_id: o.customer_id,
  product_id: o.product_id,
  quantity: o.quantity,
  unit_price: o.unit_price,
  amount: o.amount,
  status: o.status,
  order_date: o.order_date,
  updated_at: iso(o.updatedMs),
});
const toCustomer = (c: MutableCustomer): Customer => ({ customer_id: c.customer_id, name: c.name, email: c.email, country: c.country, signup_date: c.signup_date, updated_at: iso(c.updatedMs) });
const toProduct = (p: MutableProduct): Product => ({ product_id: p.product_id, name: p.name, category: p.category, unit_price: p.priceCents / 100, updated_at: iso(p.updatedMs) });

/** The simulated shop: one PRNG stream, advanced one business day at a time. */
class Shop {
  private readonly random: () => number;
  private readonly day1Ms: number;
  private readonly customers: MutableCustomer[] = [];
  private readonly products: MutableProduct[] = [];
  private readonly orders: MutableOrder[] = [];
  private nextOrderId = 100_001;

  constructor(private readonly o: Required<GeneratorOptions>) {
    this.random = splitmix32(o.seed);
    this.day1Ms = Date.parse(`${o.startDate}T00:00:00Z`);
  }

  run(days: number): DayBatch[] {
    const batches = [this.firstDay()];
    for (let day = 2; day <= days; day++) batches.push(this.nextDay(day));
    return batches;
  }

  // --- random helpers
  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  private pick<T>(items: ReadonlyArray<T>): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  private weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((a, [, w]) => a + w, 0);
    let r = this.random() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items.at(-1)![0];
  }
  /** A whole second in [fromMs, toMs]. */
  private between(fromMs: number, toMs: number): number {
    return Math.floor((fromMs + this.random() * (toMs - fromMs)) / 1000) * 1000;
  }
  private dayStart(day: number): number {
    return this.day1Ms + (day - 1) * DAY_MS;
  }

  // --- the world
  private newCustomer(signupMs: number): MutableCustomer {
    const id = this.customers.length + 1;
    const first = this.pick(FIRST_NAMES);
    const last = this.pick(LAST_NAMES);
    const c = { customer_id: id, name: `${first} ${last}`, email: `${first}.${last}${id}@example.com`.toLowerCase(), country: this.weighted(COUNTRIES), signup_date: dateOf(signupMs), updatedMs: signupMs };
    this.customers.push(c);
    return c;
  }

  private newProduct(createdMs: number): MutableProduct {
    const id = this.products.length + 1;
    const category = CATEGORIES[(id - 1) % CATEGORIES.length]!;
    const euros = this.int(category.min, category.max);
    const p = { product_id: id, name: `${this.pick(ADJECTIVES)} ${this.pick(category.items)}`, category: category.name, priceCents: Math.round((euros + this.pick(CENTS)) * 100), updatedMs: createdMs };
    this.products.push(p);
    return p;
  }

  /** An order placed at `createdMs` (possibly paid right away). */
  private placeOrder(createdMs: number, late: boolean, customers: ReadonlyArray<MutableCustomer>): MutableOrder {
    const product = this.pick(this.products);
    const quantity = this.weighted<number>([[1, 60], [2, 25], [3, 9], [4, 4], [5, 2]]);
    const o: MutableOrder = {
      order_id: this.nextOrderId++,
      customer_id: this.pick(customers).customer_id,
      product_id: product.product_id,
      quantity,
      unit_price: product.priceCents / 100,
      amount: (quantity * product.priceCents) / 100,
      status: 'new',
      order_date: dateOf(createdMs),
      createdMs,
      updatedMs: createdMs,
      late,
      delivered: false,
    };
    this.orders.push(o);
    return o;
  }

  /** The status an open order moves to on a day, if any. */
  private transition(status: OrderStatus): OrderStatus | undefined {
    const r = this.random();
    switch (status) {
      case 'new': return r < 0.6 ? 'paid' : r < 0.68 ? 'cancelled' : undefined;
      case 'paid': return r < 0.5 ? 'shipped' : r < 0.52 ? 'cancelled' : undefined;
      case 'shipped': return r < 0.45 ? 'delivered' : undefined;
      default: return undefined;
    }
  }

  /** Places a day's orders: returns them with a same-day payment for some (each event a row). */
  private placeDay(startMs: number, count: number): { placed: MutableOrder[]; events: Order[] } {
    const placed: MutableOrder[] = [];
    const events: Order[] = [];
    const late = Math.round(count * this.o.lateShare);
    const open = this.customers.filter((c) => Date.parse(`${c.signup_date}T00:00:00Z`) <= startMs);
    for (let i = 0; i < count; i++) {
      const isLate = i < late;
      // Late orders are placed just before midnight, after the day's extract was cut.
      const createdMs = isLate ? this.between(startMs + 23 * 3_600_000 + 15 * MINUTE_MS, startMs + DAY_MS - 1000) : this.between(startMs + 6 * 3_600_000, startMs + 22 * 3_600_000);
      const o = this.placeOrder(createdMs, isLate, open);
      events.push(toOrder(o));
      if (this.random() < 0.35) {
        o.status = 'paid';
        o.updatedMs = createdMs + this.int(1, 20) * MINUTE_MS;
        events.push(toOrder(o));
      }
      placed.push(o);
    }
    return { placed, events };
  }

  /** Moves open orders placed before `startMs` along their lifecycle during that day. */
  private advanceDay(startMs: number): Array<{ order: MutableOrder; event: Order }> {
    const changed: Array<{ order: MutableOrder; event: Order }> = [];
    for (const o of this.orders) {
      if (o.createdMs >= startMs) continue;
      const next = this.transition(o.status);
      if (next === undefined) continue;
      const from = Math.max(o.updatedMs + MINUTE_MS, startMs + 7 * 3_600_000);
      const to = startMs + 23 * 3_600_000;
      if (from >= to) continue;
      o.status = next;
      o.updatedMs = this.between(from, to);
      changed.push({ order: o, event: toOrder(o) });
    }
    return changed;
  }

  /** Day 1: everyone, everything, and a snapshot of the recent orders. */
  private firstDay(): DayBatch {
    const start = this.dayStart(1);
    const firstDayMs = start - (this.o.historyDays - 1) * DAY_MS;
    for (let i = 0; i < this.o.customers; i++) this.newCustomer(this.between(start - 730 * DAY_MS, firstDayMs - DAY_MS));
    for (let i = 0; i < this.o.products; i++) this.newProduct(this.between(start - 400 * DAY_MS, firstDayMs - DAY_MS));
    for (let d = 0; d < this.o.historyDays; d++) {
      const dayMs = firstDayMs + d * DAY_MS;
      this.advanceDay(dayMs);
      const base = Math.floor(this.o.initialOrders / this.o.historyDays);
      const count = d === this.o.historyDays - 1 ? this.o.initialOrders - base * (this.o.historyDays - 1) : base;
      // Only day 1's own late orders miss the snapshot; older ones had arrived by then.
      const { placed } = this.placeDay(dayMs, count);
      if (dayMs !== start) for (const o of placed) o.late = false;
    }
    const snapshot = this.orders.filter((o) => !o.late);
    for (const o of snapshot) o.delivered = true;
    return {
      day: 1,
      date: dateOf(start),
      customers: this.customers.map(toCustomer),
      products: this.products.map(toProduct),
      orders: snapshot.map(toOrder),
      stats: { newOrders: snapshot.length, statusUpdates: 0, lateOrders: 0, staleDuplicates: 0, newCustomers: this.customers.length, customerUpdates: 0, priceChanges: 0 },
    };
  }

  /** Day N ≥ 2: the day's change events. */
  private nextDay(day: number): DayBatch {
    const start = this.dayStart(day);
    // Yesterday's late orders, as they were when yesterday ended.
    const late = this.orders.filter((o) => o.late);
    const lateRows = late.map(toOrder);
    for (const o of late) o.late = false;
    // Stale duplicates: replays of an already delivered version, older than it.
    const candidates = this.orders.filter((o) => o.delivered && o.status !== 'new' && o.updatedMs - o.createdMs >= 2 * MINUTE_MS);
    const stale: Order[] = [];
    const used = new Set<number>();
    for (let i = 0; i < this.o.staleDuplicates && used.size < candidates.length; i++) {
      let o = this.pick(candidates);
      while (used.has(o.order_id)) o = this.pick(candidates);
      used.add(o.order_id);
      stale.push({ ...toOrder(o), status: PREVIOUS[o.status], updated_at: iso(this.between(o.createdMs, o.updatedMs - MINUTE_MS)) });
    }
    // Catalog changes at the start of the day: price changes, new customers, e-mail changes.
    const changedProducts: MutableProduct[] = [];
    for (let i = 0; i < this.o.priceChanges; i++) {
      const p = this.pick(this.products);
      if (changedProducts.includes(p)) continue;
      const factor = this.random() < 0.5 ? 0.9 : 1.1;
      p.priceCents = Math.round((Math.max(1, Math.round((p.priceCents / 100) * factor)) + this.pick(CENTS)) * 100);
      p.updatedMs = start + this.int(5, 50) * MINUTE_MS;
      changedProducts.push(p);
    }
    const newCustomers: MutableCustomer[] = [];
    for (let i = 0; i < Math.max(1, Math.round(this.o.customers / 80)); i++) newCustomers.push(this.newCustomer(this.between(start, start + 5 * 3_600_000)));
    const updatedCustomers: MutableCustomer[] = [];
    for (let i = 0; i < Math.max(1, Math.round(this.o.customers / 100)); i++) {
      const c = this.pick(this.customers.slice(0, this.customers.length - newCustomers.length));
      if (updatedCustomers.includes(c)) continue;
      c.email = c.email.replace(/@.*$/, '@example.org');
      c.updatedMs = this.between(start + 6 * 3_600_000, start + 20 * 3_600_000);
      updatedCustomers.push(c);
    }
    // The day's business.
    const updates = this.advanceDay(start);
    const { placed, events } = this.placeDay(start, this.o.dailyOrders);
    const onTime = new Set(placed.filter((o) => !o.late).map((o) => o.order_id));
    const rows = [...lateRows, ...updates.map((u) => u.event), ...events.filter((e) => onTime.has(e.order_id))].sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.order_id - b.order_id);
    // Stale replays turn up anywhere in the extract.
    for (const s of stale) rows.splice(this.int(0, rows.length), 0, s);
    for (const o of this.orders) if (!o.late && (onTime.has(o.order_id) || late.includes(o))) o.delivered = true;
    return {
      day,
      date: dateOf(start),
      customers: [...newCustomers, ...updatedCustomers].map(toCustomer),
      products: changedProducts.map(toProduct),
      orders: rows,
      stats: {
        newOrders: onTime.size,
        statusUpdates: updates.filter((u) => u.order.delivered && !late.includes(u.order)).length,
        lateOrders: late.length,
        staleDuplicates: stale.length,
        newCustomers: newCustomers.length,
        customerUpdates: updatedCustomers.length,
        priceChanges: changedProducts.length,
      },
    };
  }
}

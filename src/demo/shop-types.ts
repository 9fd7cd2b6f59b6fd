/** The demo shop's entities, batches and generator options. */

export const ORDER_STATUSES = ['new', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface Customer {
  readonly customer_id: number;
  readonly name: string;
  readonly email: string;
  readonly country: string;
  /** `YYYY-MM-DD`. */
  readonly signup_date: string;
  /** ISO-8601 UTC, second precision. */
  readonly updated_at: string;
}

export interface Product {
  readonly product_id: number;
  readonly name: string;
  readonly category: string;
  /** A price with cents (a decimal with two digits). */
  readonly unit_price: number;
  readonly updated_at: string;
}

export interface Order {
  readonly order_id: number;
  readonly customer_id: number;
  readonly product_id: number;
  readonly quantity: number;
  /** The product's price when the order was placed. */
  readonly unit_price: number;
  /** `quantity × unit_price`, exact to the cent. */
  readonly amount: number;
  readonly status: OrderStatus;
  /** `YYYY-MM-DD`, the day the order was placed. */
  readonly order_date: string;
  readonly updated_at: string;
}

/** What a day's batch contains, in numbers. */
export interface DayStats {
  /** Orders placed that day (and delivered on time). */
  readonly newOrders: number;
  /** Status changes of orders delivered by an earlier batch. */
  readonly statusUpdates: number;
  /** Orders placed the day before that arrive only now. */
  readonly lateOrders: number;
  /** Older versions of already delivered orders (they must lose). */
  readonly staleDuplicates: number;
  readonly newCustomers: number;
  readonly customerUpdates: number;
  readonly priceChanges: number;
}

/** One day's landing batch. */
export interface DayBatch {
  readonly day: number;
  /** The business date of the batch, `YYYY-MM-DD`. */
  readonly date: string;
  readonly customers: ReadonlyArray<Customer>;
  readonly products: ReadonlyArray<Product>;
  readonly orders: ReadonlyArray<Order>;
  readonly stats: DayStats;
}

/** Knobs of the simulation (all optional; the defaults make a few thousand orders). */
export interface GeneratorOptions {
  readonly seed?: number;
  /** The business date of day 1, `YYYY-MM-DD`. */
  readonly startDate?: string;
  readonly customers?: number;
  readonly products?: number;
  /** Orders of the day-1 snapshot, spread over `historyDays` days ending on day 1. */
  readonly initialOrders?: number;
  readonly historyDays?: number;
  /** Orders placed per day from day 2 on. */
  readonly dailyOrders?: number;
  /** Share of a day's orders that miss that day's extract and arrive with the next one. */
  readonly lateShare?: number;
  /** Stale duplicates per day from day 2 on. */
  readonly staleDuplicates?: number;
  /** Products whose price changes per day from day 2 on. */
  readonly priceChanges?: number;
}

export const DEFAULT_GENERATOR_OPTIONS: Required<GeneratorOptions> = {
  seed: 20250602,
  startDate: '2025-06-02',
  customers: 400,
  products: 60,
  initialOrders: 3000,
  historyDays: 7,
  dailyOrders: 450,
  lateShare: 0.03,
  staleDuplicates: 25,
  priceChanges: 3,
};

/**
 * An empty object to key by data (partition paths, metadata keys): it has no prototype, so a key
 * such as `__proto__` or `constructor` is an ordinary own property, never an inherited one.
 * JSON.stringify and Object.entries treat it as any object.
 */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * A copy of `base` with `extra`'s fields set on it (added after `base`'s own, or in their place): what
 * `{ ...base, ...extra }` gives, but fast on the request path. On Node 20's V8 an object literal that starts with a
 * spread is a clone of the spread object, and every field added to that clone afterwards, in the same literal or
 * later, takes a slow path (1.5-2.2 µs per field, against 0.1 µs in all for a copy made by `Object.assign`).
 * One difference from a spread: an own `__proto__` field of `base` is set through the setter (it changes the copy's
 * prototype) instead of being defined; the bodies it copies come from schemas that drop that field.
 */
export function withFields<B extends object, E extends object>(base: B, extra: E): Omit<B, keyof E> & E {
  return Object.assign(Object.assign({}, base), extra) as Omit<B, keyof E> & E;
}

/**
 * Lookups of user-supplied keys (service names, header names, config keys) that never reach
 * `Object.prototype`: `services["constructor"]` must not find the Object constructor, and a `__proto__` key
 * must be an ordinary property, not a prototype change. Pure; imported by every layer that reads config.
 */

/** The own value of `key` in `record`, never an inherited one. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
    return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `record[key]` as an own, enumerable property, even for `__proto__`. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

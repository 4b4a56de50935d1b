/** Define an own enumerable property, so that a key like `__proto__` is data rather than a prototype change. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

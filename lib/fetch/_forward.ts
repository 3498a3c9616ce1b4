/**
 * The forwarding shared by the light `Request` and `Response`: every member
 * of the native prototype, answered by the real object behind a light one.
 *
 * @module
 */

/**
 * Forwards every property of a native prototype to the real object behind a
 * light one, so a light instance behaves as the native class in full.
 */
export function forwardPrototype(
  target: object,
  native: object,
  real: (light: never) => object,
  own: readonly string[],
): void {
  for (const key of Reflect.ownKeys(native)) {
    if (key === "constructor" || own.includes(key as string)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(native, key)!;
    if (descriptor.get !== undefined) {
      const getter = descriptor.get;
      Object.defineProperty(target, key, {
        configurable: true,
        enumerable: descriptor.enumerable,
        get(this: never) {
          return getter.call(real(this));
        },
      });
    } else if (typeof descriptor.value === "function") {
      const method = descriptor.value as (...args: unknown[]) => unknown;
      Object.defineProperty(target, key, {
        configurable: true,
        writable: true,
        enumerable: descriptor.enumerable,
        value: function (this: never, ...args: unknown[]) {
          return method.apply(real(this), args);
        },
      });
    }
  }
}

/**
 * The `Date` field value (RFC 9110 §6.6.1), formatted at most once a second:
 * every response carries it, and formatting a date per response measurably
 * costs on a hello-world path.
 *
 * @module
 */

let cachedSecond = -1;
let cachedValue = "";

/**
 * The current time as an IMF-fixdate, cached for the current second.
 *
 * @param now milliseconds since the epoch (injectable for tests)
 * @returns e.g. `Sun, 06 Nov 1994 08:49:37 GMT`
 */
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}

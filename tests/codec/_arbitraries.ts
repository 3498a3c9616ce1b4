/**
 * fast-check arbitraries the codec's property tests share: trailer fields
 * the chunked decoder accepts.
 */
import fc from "fast-check";

/** Trailer names the decoder accepts: none of RFC 9110 §6.5.1's forbidden fields. */
export const trailerName: fc.Arbitrary<string> = fc
  .string({ unit: fc.constantFrom(..."abcXYZ019-_!#$%&'*+.^`|~"), minLength: 1, maxLength: 12 })
  .map((suffix) => "X-" + suffix);
const trailerValueChar = fc.integer({ min: 0x21, max: 0xff })
  .filter((code) => code !== 0x7f)
  .map((code) => String.fromCharCode(code));
/** Trailer values without surrounding whitespace, which the decoder would trim. */
export const trailerValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ unit: trailerValueChar, maxLength: 10 }),
    fc.string({ unit: trailerValueChar, maxLength: 10 }),
  )
  .map(([left, right]) => (left && right ? left + " " + right : left + right));

import { describe, expect, it } from 'vitest';
import { stringifyJson } from '../../src/util/json.js';

describe('stringifyJson', () => {
  it('writes bigints as JSON numbers with every digit', () => {
    expect(stringifyJson({ limit: 9223372036854771712n, max: 18446744073709551615n, n: -5n })).toBe(
      '{"limit":9223372036854771712,"max":18446744073709551615,"n":-5}',
    );
    // A JS number would have lost the low digits.
    expect(JSON.stringify({ limit: Number(9223372036854771712n) })).toBe('{"limit":9223372036854772000}');
  });

  it('is JSON.stringify for everything else', () => {
    const v = { a: 'x"\n', b: [1, undefined, null, true], c: undefined, d: { e: 1.5, f: NaN }, g: [] };
    expect(stringifyJson(v)).toBe(JSON.stringify(v));
    expect(stringifyJson(null)).toBe('null');
    expect(stringifyJson('é')).toBe('"é"');
  });
});

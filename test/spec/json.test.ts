import { describe, expect, it } from 'vitest';
import { parseJson } from '../../src/spec/json.js';

describe('parseJson', () => {
  it("drops null values (Go writes null for empty slices, maps and pointers; runc reads it as absent)", () => {
    expect(parseJson('{"process":{"args":["sh"],"env":null},"hooks":null,"mounts":[{"options":null}]}', 'config.json')).toEqual({
      process: { args: ['sh'] },
      mounts: [{}],
    });
  });

  it('keeps the string "null" and parses text without any null as it is', () => {
    expect(parseJson('{"hostname":"null","annotations":{"a":"b"}}', 'config.json')).toEqual({ hostname: 'null', annotations: { a: 'b' } });
    expect(parseJson('{"ociVersion":"1.0.2","process":{"args":["true"]}}', 'config.json')).toEqual({ ociVersion: '1.0.2', process: { args: ['true'] } });
  });

  it('names the file and the place of a syntax error', () => {
    expect(() => parseJson('{"a":\n  nul}', '/b/config.json')).toThrow(/config\.json.*line 2/s);
  });
});

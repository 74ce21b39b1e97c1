import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../src/util/json-error.js';
import { parseJson } from '../../src/spec/json.js';

describe('locateJsonError', () => {
  it('says nothing of valid JSON', () => {
    for (const t of ['{}', ' [1, -2.5e3, "a\\u00e9", true, false, null, {"a": {}}] ', '"x"', '0'])
      expect(locateJsonError(t), t).toBeUndefined();
  });

  it('names the line and column of the first fault and what was there', () => {
    expect(locateJsonError('{\n  "a": ["sh",]\n}')).toEqual({ line: 2, column: 14, message: 'unexpected "]", expected a value' });
    expect(locateJsonError('{"a": 1,\n}')).toEqual({ line: 2, column: 1, message: 'unexpected "}", expected a property name in double quotes' });
    expect(locateJsonError('{"a" 1}')).toMatchObject({ line: 1, column: 6, message: 'unexpected "1", expected ":"' });
    expect(locateJsonError('{"a": tru}')).toMatchObject({ line: 1, column: 7 });
    expect(locateJsonError('{"a": "x\ny"}')).toMatchObject({ line: 1, column: 9, message: 'control character in a string (escape it)' });
    expect(locateJsonError('{"a": 1} x')).toMatchObject({ line: 1, column: 10, message: 'unexpected "x", expected the end of input' });
    expect(locateJsonError('{"a": [1, 2')).toMatchObject({ message: 'unexpected end of input, expected "," or "]"' });
    expect(locateJsonError('{"a": 01}')).toMatchObject({ column: 8 });
  });

  it('puts the position into the config error', () => {
    expect(() => parseJson('{\n  "process": {\n    "args": ["sh",]\n  }\n}\n', 'config.json')).toThrow(
      /\(root\): invalid JSON: line 3, column 19: unexpected "]", expected a value/,
    );
  });
});

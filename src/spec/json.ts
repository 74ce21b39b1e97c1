import { ConfigError } from '../errors.js';
import { locateJsonError } from '../util/json-error.js';

// Go-based generators write `null` for empty slices, maps and pointers, and runc reads it as absent.
function dropNull(_key: string, value: unknown): unknown {
  return value === null ? undefined : value;
}

export function parseJson(text: string, file: string): unknown {
  try {
    // A reviver is a call per value: only where a null can be.
    return JSON.parse(text, text.includes('null') ? dropNull : undefined) as unknown;
  } catch (err) {
    const at = locateJsonError(text);
    const why = at ? `line ${at.line}, column ${at.column}: ${at.message}` : err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [`(root): invalid JSON: ${why}`]);
  }
}


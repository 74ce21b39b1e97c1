import { ConfigError } from '../errors.js';
import { locateJsonError } from '../util/json-error.js';

// Go-based generators write `null` for empty slices, maps and pointers, and runc reads it as absent.
function dropNull(_key: string, value: unknown): unknown {
  return value === null ? undefined : value;
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text, dropNull) as unknown;
  } catch (err) {
    const at = locateJsonError(text);
    const why = at ? `line ${at.line}, column ${at.column}: ${at.message}` : err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [`(root): invalid JSON: ${why}`]);
  }
}


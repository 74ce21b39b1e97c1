/**
 * JSON text of data whose integers may be bigint: a bigint is written as a JSON number with every digit
 * (JSON.stringify refuses bigint, and a JS number loses precision past 2^53). Otherwise as JSON.stringify
 * without indentation: members that are undefined are left out, undefined in an array is null.
 */
export function stringifyJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stringifyJson(v))).join(',')}]`;
      return `{${Object.entries(value)
        .filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol')
        .map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`)
        .join(',')}}`;
    default:
      return 'null';
  }
}

/**
 * uids and gids, without zod (exec's command line needs them too). (uid_t)-1 means "leave unchanged" to
 * setresuid(2) and chown(2), so 4294967295 would quietly keep root; runc takes 0..2^31-1 and words it this way.
 */
import { TsrunError } from '../errors.js';

export const MAX_ID = 2147483647;
export const ID_RANGE_MESSAGE = `uids and gids must be in range 0-${MAX_ID}`;

/** Decimal digits with an optional sign, as Go's strconv.Atoi reads them: no hex, exponent, fraction or spaces. */
export const DECIMAL = /^[+-]?\d+$/;

/** A uid or gid from the command line: `syntax` is the error when it is no integer at all. */
export function parseId(s: string, syntax: () => string): number {
  if (!DECIMAL.test(s)) throw new TsrunError(syntax());
  const v = BigInt(s);
  if (v < 0n || v > BigInt(MAX_ID)) throw new TsrunError(ID_RANGE_MESSAGE);
  return Number(v);
}

import { statSync } from 'node:fs';
import { TsrunError } from '../errors.js';

/** Fds 3..3+count-1 go to the container as they are: each must be open (runc's check and wording). */
export function checkPreservedFds(count: number, named = count): void {
  for (let fd = 3; fd < 3 + count; fd++) {
    try {
      statSync(`/proc/self/fd/${fd}`);
    } catch {
      throw new TsrunError(`unable to stat preserved-fd ${fd - 3} (of ${named}): fd ${fd} is not open`);
    }
  }
}

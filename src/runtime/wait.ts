/** wait: blocks until a container (or a process exec'd with -d) supervised by tsrun's shim has exited. */
import { TsrunError } from '../errors.js';
import { findSupervised, waitShim } from './shim.js';
import { readExitRecord } from './state.js';

export async function waitContainer(root: string, id: string, execPid?: number): Promise<number> {
  const s = findSupervised(root, id, execPid);
  if (!s.shim) throw new TsrunError(`${s.what} is supervised by its caller, which holds its exit status`);
  await waitShim(s);
  const rec = readExitRecord(s.dir);
  if (!rec) throw new TsrunError(`the shim of ${s.what} is gone without recording an exit status`);
  return rec.exitCode;
}

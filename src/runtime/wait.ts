/** wait: blocks until a container (or a process exec'd with -d) supervised by tsrun's shim has exited. */
import { TsrunError } from '../errors.js';
import { exitRecordIn, findSupervised, waitShim } from './shim.js';

export async function waitContainer(root: string, id: string, execPid?: number): Promise<number> {
  const s = findSupervised(root, id, execPid);
  if (!s.shim) throw new TsrunError(`${s.what} is supervised by its caller, which holds its exit status`);
  await waitShim(s);
  const rec = exitRecordIn(s.dir);
  if (!rec) throw new TsrunError(`the shim of ${s.what} is gone without recording an exit status`);
  return rec.exitCode;
}

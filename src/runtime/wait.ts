/** wait: blocks until a container supervised by tsrun's shim has exited; its exit code becomes tsrun's. */
import { TsrunError } from '../errors.js';
import { waitShim } from './shim.js';
import { StateDir } from './state.js';

export async function waitContainer(root: string, id: string): Promise<number> {
  const dir = new StateDir(root, id);
  const st = dir.load();
  if (!st.shim) throw new TsrunError(`container ${id} is supervised by its caller, which holds its exit status`);
  await waitShim(st);
  const rec = dir.exitRecord();
  if (!rec) throw new TsrunError(`the shim of container ${id} is gone without recording an exit status`);
  return rec.exitCode;
}

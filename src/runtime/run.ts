/**
 * run: create + start in one step. In the foreground the launcher stays the init's parent (relaying a
 * terminal) and tsrun forwards signals to the init, waits, deletes the container (unless --keep) and exits
 * with the process's status (128 + N for signal N). With --detach it returns once the container runs.
 */
import { log } from '../log.js';
import { createContainer, type CreateOptions } from './create.js';
import { destroy, killAndWait } from './delete.js';
import { exitCodeOf, waitForeground } from './launcher.js';
import { bindNotifySocket, forwardReady, hostNotifySocket } from './notify-socket.js';
import { forwardSignals } from './signals.js';
import { poststart, release } from './start.js';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

export async function runContainer(opts: RunOptions): Promise<number> {
  const created = createContainer({ ...opts, foreground: !opts.detach });
  const { dir, state } = created;
  const notifyHost = hostNotifySocket();
  const sock = notifyHost ? bindNotifySocket(dir.dir) : -1;
  if (opts.detach) {
    try {
      release(dir, state);
    } catch (err) {
      killAndWait(state);
      destroy(dir, state);
      throw err;
    }
    poststart(state);
    if (sock >= 0) forwardReady(sock, notifyHost!, state.pid);
    return 0;
  }
  const stopForwarding = forwardSignals(state.pid);
  let status: number;
  try {
    release(dir, state);
    poststart(state);
    // In the foreground the service's main process is tsrun itself, as with runc.
    if (sock >= 0) forwardReady(sock, notifyHost!, state.pid, process.pid);
    status = await waitForeground(created.launched);
  } catch (err) {
    killAndWait(state);
    destroy(dir, state);
    throw err;
  } finally {
    stopForwarding();
  }
  if (!opts.keep) destroy(dir, state);
  else log.debug(`container ${state.id} kept`);
  return exitCodeOf(status);
}

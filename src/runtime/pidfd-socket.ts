/**
 * --pidfd-socket PATH (runc 1.2, create/run/exec): a pidfd of the container's process is sent over the AF_UNIX
 * stream socket at PATH as one SCM_RIGHTS message, so a supervisor can wait on or signal exactly that process.
 * As in runc, the socket is connected before anything is made (an unreachable socket fails the command first),
 * and the pidfd is sent once the process exists, before create/run/exec reports success; a failure to send
 * fails the command and the process is killed. The message text is runc's init type: "standard" for a
 * container's init, "setns" for an exec'd process.
 */
import { closeSync } from 'node:fs';
import { TsrunError, errnoMessage } from '../errors.js';
import type { NativeAddon } from '../native/contract.js';

export type PidfdProcessKind = 'standard' | 'setns';

const errnoOf = (err: unknown): number => {
  const n = (err as { errno?: unknown }).errno;
  return typeof n === 'number' ? Math.abs(n) : 0;
};

export class PidfdSocket {
  private constructor(
    private readonly addon: NativeAddon,
    private fd: number,
  ) {}

  /** Connects to the socket (runc's setupPidfdSocket, with its wording, "dail" included). */
  static connect(addon: NativeAddon, path: string): PidfdSocket {
    try {
      return new PidfdSocket(addon, addon.connectUnix(path));
    } catch (err) {
      throw new TsrunError(`failed to dail ${path}: dial unix ${path}: connect: ${errnoMessage(errnoOf(err))}`);
    }
  }

  /** Sends a pidfd of `pid` (which must be the caller's child or otherwise alive and known) and closes the socket. */
  send(pid: number, kind: PidfdProcessKind): void {
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0x7fffffff) throw new TsrunError(`failed to pidfd_open: invalid pid ${pid}`);
    let pidfd: number;
    try {
      pidfd = this.addon.pidfdOpen(pid);
    } catch (err) {
      throw new TsrunError(`failed to pidfd_open: ${errnoMessage(errnoOf(err))}`);
    }
    try {
      this.addon.sendFd(this.fd, kind, pidfd);
    } catch (err) {
      throw new TsrunError(`failed to send pidfd on socket: ${errnoMessage(errnoOf(err))}`);
    } finally {
      closeSync(pidfd);
      this.close();
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

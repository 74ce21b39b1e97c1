/** stopUnit: a unit systemd does not know (the addon's dbusError NoSuchUnit) is already what was wanted. */
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => ({ ...(await original<typeof import('node:fs')>()), existsSync: () => true }));
const { stopUnit } = await import('../../src/cgroups/systemd-scope.js');

/** An error shaped as the addon's (addon/napi/napi_error.h). */
function busError(dbusError: string | undefined, message: string): Error {
  return Object.assign(new Error(message), { errno: -2, code: 'ENOENT', syscall: 'StopUnit', native: true, ...(dbusError ? { dbusError } : {}) });
}

describe('stopUnit', () => {
  it('takes NoSuchUnit from dbusError (code is the errno name)', () => {
    const job = () => {
      throw busError('org.freedesktop.systemd1.NoSuchUnit', 'StopUnit: Unit a.scope not loaded.');
    };
    expect(() => stopUnit('a.scope', job)).not.toThrow();
  });

  it('reports any other failure with its message', () => {
    const job = () => {
      throw busError('org.freedesktop.DBus.Error.AccessDenied', 'StopUnit: Access denied');
    };
    expect(() => stopUnit('a.scope', job)).toThrow('systemd cgroup driver: stop a.scope: StopUnit: Access denied');
  });
});

import { describe, expect, it } from 'vitest';
import { defaultLogRoot } from '../../src/runtime/log-dir.js';

describe('where the shim keeps logs by default', () => {
  it('real root: /var/log/tsrun', () => {
    expect(defaultLogRoot({ HOME: '/root' }, 0, () => false)).toBe('/var/log/tsrun');
  });

  it('a user, or root of a user namespace (unless USER=root): $XDG_STATE_HOME or ~/.local/state', () => {
    expect(defaultLogRoot({ HOME: '/home/u' }, 1000, () => false)).toBe('/home/u/.local/state/tsrun/logs');
    expect(defaultLogRoot({ HOME: '/home/u', XDG_STATE_HOME: '/s' }, 1000, () => false)).toBe('/s/tsrun/logs');
    expect(defaultLogRoot({ HOME: '/home/u', USER: 'u' }, 0, () => true)).toBe('/home/u/.local/state/tsrun/logs');
    expect(defaultLogRoot({ HOME: '/root', USER: 'root' }, 0, () => true)).toBe('/var/log/tsrun');
  });
});

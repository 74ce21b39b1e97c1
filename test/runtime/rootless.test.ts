import { describe, expect, it } from 'vitest';
import { defaultRoot, honoursXdgRuntimeDir, rootlessCgroups, rootlessSpec } from '../../src/runtime/rootless.js';

const inNs = () => true;
const notInNs = () => false;

describe('the default state root (runc: $XDG_RUNTIME_DIR/runc unless real root)', () => {
  it('an ordinary user with XDG_RUNTIME_DIR: $XDG_RUNTIME_DIR/tsrun', () => {
    expect(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, notInNs)).toBe('/run/user/1000/tsrun');
  });

  it('an ordinary user without it: /run/tsrun (which fails as runc fails with /run/runc)', () => {
    expect(defaultRoot({}, 1000, notInNs)).toBe('/run/tsrun');
    expect(defaultRoot({ XDG_RUNTIME_DIR: '' }, 1000, notInNs)).toBe('/run/tsrun');
  });

  it('real root ignores XDG_RUNTIME_DIR', () => {
    expect(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/0', USER: 'alice' }, 0, notInNs)).toBe('/run/tsrun');
  });

  it("root of a user namespace, unless USER is root (rootless Podman): the user's directory", () => {
    expect(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/1000', USER: 'alice' }, 0, inNs)).toBe('/run/user/1000/tsrun');
    expect(honoursXdgRuntimeDir({ USER: 'root' }, 0, inNs)).toBe(false);
    expect(honoursXdgRuntimeDir({}, 0, inNs)).toBe(true);
    expect(honoursXdgRuntimeDir({ USER: '' }, 0, inNs)).toBe(true);
  });
});

describe('--rootless', () => {
  it('auto (or absent): rootless cgroups for anyone but real root', () => {
    expect(rootlessCgroups(undefined, 1000, notInNs)).toBe(true);
    expect(rootlessCgroups('auto', 0, notInNs)).toBe(false);
    expect(rootlessCgroups('auto', 0, inNs)).toBe(true);
  });

  it("true and false as Go's ParseBool spells them; anything else is refused", () => {
    for (const t of ['true', '1', 't', 'TRUE', 'True']) expect(rootlessCgroups(t, 0, notInNs)).toBe(true);
    for (const f of ['false', '0', 'f', 'FALSE', 'False']) expect(rootlessCgroups(f, 1000, notInNs)).toBe(false);
    expect(() => rootlessCgroups('maybe', 0, notInNs)).toThrow('invalid --rootless value "maybe": expected true, false or auto');
  });
});

describe('spec --rootless', () => {
  it("alone means true (runc's boolean); absent or auto, a rootless config for anyone but real root", () => {
    expect(rootlessSpec('', 0, notInNs)).toBe(true);
    expect(rootlessSpec(undefined, 0, notInNs)).toBe(false);
    expect(rootlessSpec('auto', 0, notInNs)).toBe(false);
    expect(rootlessSpec('auto', 1000, notInNs)).toBe(true);
    expect(rootlessSpec('auto', 0, inNs)).toBe(true);
    expect(rootlessSpec('false', 1000, notInNs)).toBe(false);
    expect(rootlessSpec('true', 0, notInNs)).toBe(true);
  });
});

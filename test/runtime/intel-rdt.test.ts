import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRdtUpdate, rdtFeatures } from '../../src/runtime/intel-rdt.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-rdt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const line = (mountpoint: string, fstype: string) => `40 25 0:36 / ${mountpoint} rw,relatime shared:20 - ${fstype} ${fstype} rw\n`;

describe('rdtFeatures', () => {
  it('finds CAT and MBA in the resctrl mount, and nothing without one', () => {
    expect(rdtFeatures(line('/sys/fs/cgroup', 'tmpfs'))).toEqual({ cat: false, mba: false });
    const root = join(tmp, 'resctrl');
    mkdirSync(join(root, 'info', 'L3'), { recursive: true });
    expect(rdtFeatures(line(root, 'resctrl'))).toEqual({ cat: true, mba: false });
    mkdirSync(join(root, 'info', 'MB'));
    expect(rdtFeatures(line(root, 'resctrl'))).toEqual({ cat: true, mba: true });
  });
});

describe('checkRdtUpdate', () => {
  const none = () => ({ cat: false, mba: false });
  const both = () => ({ cat: true, mba: true });

  it("fails with runc 1.1.5's errors where CAT or MBA is not enabled", () => {
    expect(() => checkRdtUpdate('L3:0=f', '', none)).toThrow(/^Intel RDT\/CAT: l3 cache schema is not enabled$/);
    expect(() => checkRdtUpdate('', 'MB:0=50', none)).toThrow(/^Intel RDT\/MBA: memory bandwidth schema is not enabled$/);
    expect(() => checkRdtUpdate('L3:0=f', 'MB:0=50', () => ({ cat: true, mba: false }))).toThrow(/MBA: memory bandwidth schema is not enabled/);
  });

  it('never reports success for a schema, since tsrun makes no resctrl group', () => {
    expect(() => checkRdtUpdate('L3:0=f', '', both)).toThrow(/tsrun does not apply linux.intelRdt/);
    expect(() => checkRdtUpdate('', 'MB:0=50', both)).toThrow(/tsrun does not apply linux.intelRdt/);
  });

  it('does nothing (and asks nothing) without a schema; an empty value is none, as with runc', () => {
    expect(() =>
      checkRdtUpdate('', '', () => {
        throw new Error('asked');
      }),
    ).not.toThrow();
  });
});

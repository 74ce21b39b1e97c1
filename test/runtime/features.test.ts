import { describe, expect, it } from 'vitest';
import { features } from '../../src/runtime/features.js';

const base = { specVersion: '1.2.0', version: '0.0.0', commit: 'x', libseccompVersion: '2.5.4', kernelRelease: '6.18.0' };

function archs(f: Record<string, unknown>): string[] {
  return (f as { linux: { seccomp: { archs: string[] } } }).linux.seccomp.archs;
}

describe('features', () => {
  it('advertises only the seccomp architectures the linked libseccomp resolves', () => {
    const asked: string[] = [];
    const f = features({
      ...base,
      seccompArchKnown: (name) => {
        asked.push(name);
        return !['loongarch64', 'm68k', 'sh', 'sheb'].includes(name);
      },
    });
    expect(asked).toContain('m68k');
    expect(archs(f)).toContain('SCMP_ARCH_X86_64');
    expect(archs(f)).toContain('SCMP_ARCH_AARCH64');
    for (const a of ['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB']) expect(archs(f)).not.toContain(a);
  });

  it('advertises none when libseccomp resolves none', () => {
    expect(archs(features({ ...base, seccompArchKnown: () => false }))).toEqual([]);
  });
});

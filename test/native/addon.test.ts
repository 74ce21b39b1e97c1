/** The built addon: it exports exactly the functions of NativeAddon in contract.ts, and the async waits work. */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, readSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';

const POLLIN = 1;

function contractMethods(): string[] {
  const src = readFileSync(new URL('../../src/native/contract.ts', import.meta.url), 'utf8');
  const body = /export interface NativeAddon \{([\s\S]*?)\n\}/.exec(src)![1]!;
  return [...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]!).sort();
}

describe('the addon', () => {
  it('exports exactly the functions the contract declares', () => {
    const exported = Object.keys(native()).filter((k) => typeof (native() as unknown as Record<string, unknown>)[k] === 'function');
    expect(exported.sort()).toEqual(contractMethods());
  });

  it('pollAsync resolves once an eventfd is written, and not before', async () => {
    const a = native();
    const efd = a.eventfd();
    try {
      let done = false;
      const p = a.pollAsync([efd], [POLLIN]).then((r) => ((done = true), r));
      await new Promise((r) => setTimeout(r, 50));
      expect(done).toBe(false);
      const one = Buffer.alloc(8);
      one.writeBigUInt64LE(1n);
      writeSync(efd, one);
      expect((await p)[0]! & POLLIN).toBe(POLLIN);
      const got = Buffer.alloc(8);
      readSync(efd, got);
      expect(got.readBigUInt64LE()).toBe(1n);
    } finally {
      closeSync(efd);
    }
  });

  it('pollAsync on a pidfd resolves when the process exits', async () => {
    const child = spawn('sleep', ['0.2']);
    const pidfd = native().pidfdOpen(child.pid!);
    try {
      const [ev = 0] = await native().pollAsync([pidfd], [POLLIN]);
      expect(ev & POLLIN).toBe(POLLIN);
      expect(child.exitCode ?? (await new Promise((r) => child.on('exit', r)))).toBe(0);
    } finally {
      closeSync(pidfd);
    }
  });
});

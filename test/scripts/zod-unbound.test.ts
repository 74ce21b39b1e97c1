import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS module shared with the scripts
import { unbindZod, ZOD_BINDS } from '../../scripts/lib/zod-unbound.mjs';

const repo = join(import.meta.dirname, '../..');
const zodTypes = join(repo, 'node_modules/zod/v3/types.js');

describe("the build's zod without method binds", () => {
  it("drops exactly the constructor's binds and nothing else", () => {
    const src = readFileSync(zodTypes, 'utf8');
    const out: string = unbindZod(src);
    const removed = src.split('\n').filter((l) => !out.split('\n').includes(l));
    expect(removed).toHaveLength(ZOD_BINDS);
    for (const l of removed) expect(l).toMatch(/^ {8}this\.(\w+) = this\.\1\.bind\(this\);$/);
    expect(out).not.toMatch(/\.bind\(this\)/);
    expect(out.split('\n')).toHaveLength(src.split('\n').length - ZOD_BINDS);
  });

  it('stops the build when the constructor is not the known one', () => {
    const src = readFileSync(zodTypes, 'utf8');
    expect(() => unbindZod(src.replace('        this.pipe = this.pipe.bind(this);\n', ''))).toThrow(/binds 23 methods, not 24/);
    expect(() => unbindZod(src.replace('/** Alias of safeParseAsync */', ''))).toThrow(/not the one/);
  });

  it('validates every spec fixture exactly as zod itself does', () => {
    const bun = join(repo, 'node_modules/.bin/bun');
    const out = execFileSync(bun, [join(repo, 'test/scripts/zod-unbound-check.mjs')], { encoding: 'utf8' });
    expect(out).toMatch(/^same (\d+) unbound\n$/);
    expect(Number(/^same (\d+)/.exec(out)![1])).toBeGreaterThan(20);
  });
});

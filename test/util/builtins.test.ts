/**
 * The built-ins that cost start-up time under bun are loaded where they are used (src/util/builtins.ts): a static
 * import of one anywhere in the runtime's chunk would be paid again by every create, run and exec.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { childProcessModule, cryptoModule, netModule, osModule, ttyModule, urlModule } from '../../src/util/builtins.js';

const src = fileURLToPath(new URL('../../src', import.meta.url));
const LAZY = ['child_process', 'crypto', 'module', 'net', 'os', 'tty', 'url'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('built-ins loaded on use', () => {
  it('no source imports one of them as a value', () => {
    const found: string[] = [];
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^'";]*?from\s+'node:([a-z_]+)'/gm)) {
        if (!m[1] && LAZY.includes(m[2]!)) found.push(`${file.slice(src.length + 1)}: node:${m[2]}`);
      }
      for (const m of text.matchAll(/import\(\s*'node:([a-z_]+)'\s*\)/g)) found.push(`${file.slice(src.length + 1)}: import('node:${m[1]}')`);
    }
    expect(found).toEqual([]);
  });

  it('gives the modules themselves', async () => {
    expect(childProcessModule()).toBe(await import('node:child_process').then((m) => m.default));
    expect(cryptoModule().createHash).toBe((await import('node:crypto')).createHash);
    expect(netModule().Socket).toBe((await import('node:net')).Socket);
    expect(osModule().constants.errno.ENOENT).toBe(2);
    expect(ttyModule().isatty).toBe((await import('node:tty')).isatty);
    expect(urlModule().fileURLToPath).toBe((await import('node:url')).fileURLToPath);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourcesFromArgs } from '../../src/runtime/update.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-update-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const noStdin = () => {
  throw new Error('stdin must not be read');
};

describe('update --resources FILE', () => {
  it('reads a LinuxResources document', () => {
    const f = join(tmp, 'ok.json');
    writeFileSync(f, '{"pids":{"limit":10}}');
    expect(resourcesFromArgs({ resources: f }, noStdin)).toEqual({ pids: { limit: 10 } });
  });

  it.each(['/dev/zero', '/dev/urandom'])('refuses %s at once, naming it', (dev) => {
    expect(() => resourcesFromArgs({ resources: dev }, noStdin)).toThrow(`${dev}: not a regular file (a character device)`);
  });

  it('refuses a FIFO without waiting for a writer, and a file over 16 MiB', () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => resourcesFromArgs({ resources: fifo }, noStdin)).toThrow(`${fifo}: not a regular file (a FIFO)`);
    const big = join(tmp, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 16 * 1024 * 1024 + 1);
    expect(() => resourcesFromArgs({ resources: big }, noStdin)).toThrow(`${big}: larger than the limit of 16 MiB`);
  });

  it('"-" reads stdin through the reader it is given (bounded by the caller)', () => {
    expect(resourcesFromArgs({ resources: '-' }, () => '{"cpu":{"shares":512}}')).toEqual({ cpu: { shares: 512 } });
  });
});

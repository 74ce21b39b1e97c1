/**
 * src/native/wait.ts: asynchronous waits on fds and children that hold no thread (io_uring polls that write
 * into a pipe the event loop watches), under Node (here) and bun (a child bun running the same module).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, readSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { pollFds, waitpidAsync } from '../../src/native/wait.js';

const POLLIN = 1;
const THREADPOOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const one = () => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(1n);
  return b;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** ms until a threadpool fs operation completes, or Infinity after `limit` ms. */
async function fsLatency(limit: number): Promise<number> {
  const t0 = performance.now();
  const done = readFile('/proc/self/stat').then(() => performance.now() - t0);
  return Promise.race([done, sleep(limit).then(() => Infinity)]);
}

describe('pollFds', () => {
  it('resolves once an eventfd is written, and not before', async () => {
    const efd = native().eventfd();
    try {
      let done = false;
      const p = pollFds([efd], [POLLIN]).then((r) => ((done = true), r));
      await sleep(50);
      expect(done).toBe(false);
      writeSync(efd, one());
      expect(await p).toEqual([POLLIN]);
      const got = Buffer.alloc(8);
      readSync(efd, got);
      expect(got.readBigUInt64LE()).toBe(1n);
    } finally {
      closeSync(efd);
    }
  });

  it('says which of several fds is ready', async () => {
    const [a, b] = [native().eventfd(), native().eventfd()];
    try {
      const p = pollFds([a, b], [POLLIN, POLLIN]);
      await sleep(20);
      writeSync(b, one());
      expect(await p).toEqual([0, POLLIN]);
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });

  it('resolves at once for an fd ready already, and reports a closed fd as POLLNVAL', async () => {
    const efd = native().eventfd();
    writeSync(efd, one());
    expect(await pollFds([efd], [POLLIN])).toEqual([POLLIN]);
    closeSync(efd);
    expect(await pollFds([efd], [POLLIN])).toEqual([0x20 /* POLLNVAL */]);
  });

  it(`leaves libuv's threadpool free: ${THREADPOOL * 2} pending waits, and a fs read still completes promptly`, async () => {
    const fds = Array.from({ length: THREADPOOL * 2 }, () => native().eventfd());
    try {
      const waits = fds.map((fd) => pollFds([fd], [POLLIN]));
      await sleep(20);
      expect(await fsLatency(1000)).toBeLessThan(200);
      for (const fd of fds) writeSync(fd, one());
      expect(await Promise.all(waits)).toEqual(fds.map(() => [POLLIN]));
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });

  it('(the control: pollAsync, the fallback, does hold the threadpool while it waits)', async () => {
    const fds = Array.from({ length: THREADPOOL }, () => native().eventfd());
    try {
      const waits = fds.map((fd) => native().pollAsync([fd], [POLLIN]));
      await sleep(20);
      expect(await fsLatency(300)).toBe(Infinity);
      for (const fd of fds) writeSync(fd, one());
      await Promise.all(waits);
      expect(await fsLatency(1000)).toBeLessThan(200);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });
});

describe('waitpidAsync', () => {
  const child = (script: string) => native().spawn('/bin/sh', ['sh', '-c', script], [], [0, 1, 2]);

  it('resolves with the raw wait status: an exit status, a signal', async () => {
    expect(await waitpidAsync(child('exit 3'))).toBe(3 << 8);
    const pid = child('sleep 10');
    const p = waitpidAsync(pid);
    process.kill(pid, 'SIGKILL');
    expect(await p).toBe(9);
  });

  it('waits for many children at once without the threadpool', async () => {
    const pids = Array.from({ length: THREADPOOL * 2 }, (_, i) => child(`sleep 0.3; exit ${i}`));
    const all = Promise.all(pids.map((pid) => waitpidAsync(pid)));
    await sleep(20);
    expect(await fsLatency(1000)).toBeLessThan(200);
    expect(await all).toEqual(pids.map((_, i) => i << 8));
  });

  it('rejects for a process that is not a child, as waitpid does (ECHILD)', async () => {
    await expect(waitpidAsync(1)).rejects.toMatchObject({ errno: -10, code: 'ECHILD', syscall: 'waitpid' });
  });
});

describe('under bun', () => {
  it('waits on eventfds and children through bun\'s loop, the threadpool free, the process kept alive', () => {
    const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));
    const wait = fileURLToPath(new URL('../../src/native/wait.ts', import.meta.url));
    const addon = fileURLToPath(new URL('../../src/native/addon.ts', import.meta.url));
    const script = `
      import { pollFds, waitpidAsync } from ${JSON.stringify(wait)};
      import { native } from ${JSON.stringify(addon)};
      import { readFile } from 'node:fs/promises';
      import { writeSync } from 'node:fs';
      const a = native();
      const fds = Array.from({ length: 8 }, () => a.eventfd());
      const waits = fds.map((fd) => pollFds([fd], [1]));
      const t0 = performance.now();
      await readFile('/proc/self/stat');
      const fsMs = performance.now() - t0;
      const b = Buffer.alloc(8); b.writeBigUInt64LE(1n);
      setTimeout(() => { for (const fd of fds) writeSync(fd, b); }, 50);
      const revents = await Promise.all(waits);
      // nothing but the wait keeps the loop alive here
      const status = await waitpidAsync(a.spawn('/bin/sh', ['sh', '-c', 'sleep 0.2; exit 7'], [], [0, 1, 2]));
      console.log(JSON.stringify({ fsFast: fsMs < 200, revents, status }));
    `;
    const out = execFileSync(bun, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ fsFast: true, revents: Array(8).fill([1]), status: 7 << 8 });
  });
});


// Last in the file: once refused, io_uring is not tried again by this process.
describe('where io_uring is refused', () => {
  it('falls back to pollAsync (the threadpool wait) and still resolves', async () => {
    const a = native();
    let armed = 0;
    const refusing = Object.assign(Object.create(a) as typeof a, {
      pollWake: () => {
        armed++;
        throw Object.assign(new Error('io_uring_setup: Operation not permitted'), { errno: -1, code: 'EPERM', syscall: 'io_uring_setup', native: true });
      },
    });
    const efd = a.eventfd();
    try {
      const p = pollFds([efd], [POLLIN], refusing);
      await sleep(20);
      writeSync(efd, one());
      expect(await p).toEqual([POLLIN]);
      expect(armed).toBe(1);
    } finally {
      closeSync(efd);
    }
  });
});

/**
 * fds 0-2 are the container's stdio (create, run -d): Node must never wrap them in stream objects, because a
 * stream on a pipe switches the shared file description to O_NONBLOCK and the container then gets EAGAIN.
 * Libraries touch process.stdout on their own (yargs reads process.stdout.columns when it loads), so
 * process.stdin/stdout/stderr are replaced, before anything else loads, by plain objects that write with
 * write(2) and never change the descriptors.
 */
import { writeSync } from 'node:fs';

function syncStream(fd: number) {
  const s = {
    fd,
    isTTY: false,
    columns: undefined as number | undefined,
    writable: true,
    write(chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean {
      try {
        if (typeof chunk === 'string') writeSync(fd, chunk);
        else writeSync(fd, chunk);
      } catch {
        // a closed stdio is not our failure to report
      }
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    },
    end(): void {},
    on() {
      return s;
    },
    once() {
      return s;
    },
    off() {
      return s;
    },
    removeListener() {
      return s;
    },
    emit(): boolean {
      return false;
    },
  };
  return s;
}

const streams: Record<string, ReturnType<typeof syncStream>> = { stdin: syncStream(0), stdout: syncStream(1), stderr: syncStream(2) };

if ((process.versions as Record<string, string | undefined>).bun) {
  // Bun creates its stdio streams on the first touch of the property, even by defineProperty or
  // getOwnPropertyDescriptor, and that dup()s the fd and sets O_NONBLOCK on the shared description. So
  // `process` itself is replaced by a view that answers these three names and passes everything else through.
  const real = process;
  const bound = new Map<PropertyKey, unknown>();
  (globalThis as { process: NodeJS.Process }).process = new Proxy(real, {
    get(target, key) {
      if (typeof key === 'string' && key in streams) return streams[key];
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      // Methods run on the real object (native brand checks), and keep their own properties (hrtime.bigint).
      if (!bound.has(key)) bound.set(key, Object.assign((v as (...a: unknown[]) => unknown).bind(target), v));
      return bound.get(key);
    },
    set(target, key, value) {
      return Reflect.set(target, key, value, target);
    },
  });
} else {
  for (const name of ['stdin', 'stdout', 'stderr']) {
    const stream = streams[name];
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
  }
}

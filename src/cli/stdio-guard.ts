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

for (const [name, fd] of [['stdin', 0], ['stdout', 1], ['stderr', 2]] as const) {
  const stream = syncStream(fd);
  Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
}

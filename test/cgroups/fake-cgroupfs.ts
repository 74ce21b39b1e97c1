/**
 * A temporary directory that mimics cgroup files, and a CgroupIO over it that records every write, can make a
 * write fail with an errno code, and (like cgroupfs) fills a new directory with its interface files and lets
 * rmdir remove a directory that still has them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { nodeIO, type CgroupIO } from '../../src/cgroups/io.js';

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'tsrun-cgroups-'));
}

/** Writes files (relative path → content) under root, creating directories. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

export function readRel(root: string, rel: string): string {
  return readFileSync(join(root, rel), 'utf8');
}

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${syscall} ${path}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

export interface Write {
  /** Relative to the root. */
  file: string;
  data: string;
}

export class FakeCgroupIO implements CgroupIO {
  readonly writes: Write[] = [];
  readonly mkdirs: string[] = [];
  readonly rmdirs: string[] = [];
  private readonly failures = new Map<string, string[]>();
  private readonly rmdirFailures = new Map<string, string[]>();
  /** What a write leaves in the file, when the kernel would not just store it (clamping, FREEZING). */
  onWrite: ((rel: string, data: string) => string | undefined) | undefined;

  /** template(dir) → files a new directory gets (name → content), like cgroupfs's interface files. */
  constructor(
    readonly root: string,
    private readonly template: (relDir: string) => Record<string, string> = () => ({ 'cgroup.procs': '' }),
  ) {}

  rel(p: string): string {
    return '/' + relative(this.root, p);
  }

  /** The next writes to `rel` fail with these codes, one per write. */
  failWrite(rel: string, ...codes: string[]): void {
    this.failures.set(rel, [...(this.failures.get(rel) ?? []), ...codes]);
  }

  failRmdir(rel: string, ...codes: string[]): void {
    this.rmdirFailures.set(rel, [...(this.rmdirFailures.get(rel) ?? []), ...codes]);
  }

  /** The writes to files whose relative path ends with `suffix`. */
  writesTo(suffix: string): string[] {
    return this.writes.filter((w) => w.file.endsWith(suffix)).map((w) => w.data);
  }

  readFile(path: string): string {
    return nodeIO.readFile(path);
  }

  writeFile(path: string, chunks: string[]): void {
    const rel = this.rel(path);
    const q = this.failures.get(rel);
    if (q && q.length > 0) throw errnoError(q.shift()!, 'write', path);
    const stored = this.onWrite?.(rel, chunks.join(''));
    nodeIO.writeFile(path, stored === undefined ? chunks : [stored]);
    for (const c of chunks) this.writes.push({ file: rel, data: c });
  }

  exists(path: string): boolean {
    return nodeIO.exists(path);
  }

  mkdir(path: string): void {
    nodeIO.mkdir(path);
    const rel = this.rel(path);
    this.mkdirs.push(rel);
    for (const [name, content] of Object.entries(this.template(rel))) writeFileSync(join(path, name), content);
  }

  rmdir(path: string): void {
    const rel = this.rel(path);
    const q = this.rmdirFailures.get(rel);
    if (q && q.length > 0) throw errnoError(q.shift()!, 'rmdir', path);
    // cgroupfs removes a directory with only interface files in it
    const entries = readdirSync(path, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) throw errnoError('EBUSY', 'rmdir', path);
    for (const e of entries) unlinkSync(join(path, e.name));
    nodeIO.rmdir(path);
    this.rmdirs.push(rel);
  }

  readdir(path: string): { name: string; isDir: boolean }[] {
    return nodeIO.readdir(path);
  }
}

export function cleanup(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

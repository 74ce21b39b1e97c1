/**
 * Builds (if needed) the runtime under test and one busybox rootfs that every test bundle copies.
 * TSRUN_RUNTIME=/usr/sbin/runc runs the same suite against runc, which checks the tests themselves.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const repo = resolve(import.meta.dirname, '..', '..');

export default function setup(project: TestProject): () => void {
  if (process.getuid?.() !== 0) throw new Error('integration tests need root (real namespaces, mounts and cgroups)');
  // The native build also holds the tests' own helpers (pidfds, the static payload), whatever the runtime.
  if (!existsSync(join(repo, 'build/Release/tsrun-test-payload'))) execFileSync('npm', ['run', 'build:native'], { cwd: repo, stdio: 'inherit' });
  if (!process.env.TSRUN_RUNTIME && !existsSync(join(repo, 'dist/tsrun')))
    execFileSync('node', ['scripts/bundle.mjs'], { cwd: repo, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-rootfs-'));
  execFileSync(join(repo, 'scripts/make-rootfs'), [join(dir, 'rootfs')], { stdio: 'inherit' });
  copyFileSync(join(repo, 'build/Release/tsrun-test-payload'), join(dir, 'rootfs/bin/tsrun-test-payload'));
  project.provide('rootfsTemplate', join(dir, 'rootfs'));
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    rootfsTemplate: string;
  }
}

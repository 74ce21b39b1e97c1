/**
 * Starts private engines (containerd, dockerd on it, podman's configuration) with the runtime under test
 * registered, and one busybox image (with the test payload) in each. TSRUN_RUNTIME=/usr/sbin/runc runs the same
 * scenarios with runc, which checks the scenarios themselves.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: plain JS module shared with the benchmark
import { Engines, missingEngines } from '../../scripts/lib/engines.mjs';

const repo = resolve(import.meta.dirname, '..', '..');

export default function setup(project: TestProject): () => void {
  if (process.getuid?.() !== 0) throw new Error('engine tests need root');
  const missing: string[] = missingEngines();
  if (missing.length) throw new Error(`engine tests need ${missing.join(', ')} (scripts/setup --deps-only installs them)`);
  if (!existsSync(join(repo, 'build/Release/tsrun-test-payload'))) execFileSync('npm', ['run', 'build:native'], { cwd: repo, stdio: 'inherit' });
  if (!process.env.TSRUN_RUNTIME && !existsSync(join(repo, 'dist/tsrun')))
    execFileSync('node', ['scripts/bundle.mjs'], { cwd: repo, stdio: 'inherit' });
  const runtime = process.env.TSRUN_RUNTIME ?? join(repo, 'dist/tsrun');
  const work = mkdtempSync(join(tmpdir(), 'tsrun-engines-'));
  const rootfs = join(work, 'image-rootfs');
  execFileSync(join(repo, 'scripts/make-rootfs'), [rootfs], { stdio: 'inherit' });
  copyFileSync(join(repo, 'build/Release/tsrun-test-payload'), join(rootfs, 'bin/tsrun-test-payload'));
  const engines = new Engines(join(work, 'engines'), runtime);
  try {
    engines.start();
    engines.importImage(rootfs, 'tsrun-test/busybox:1');
  } catch (err) {
    engines.stop();
    throw err;
  }
  rmSync(rootfs, { recursive: true, force: true });
  project.provide('engineWork', engines.work);
  project.provide('engineRuntime', runtime);
  return () => {
    engines.stop();
    rmSync(work, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    engineWork: string;
    engineRuntime: string;
  }
}

/**
 * Starts a private containerd with its CRI plugin (scripts/lib/cri.mjs) whose runtime handler `undertest` runs
 * the runtime under test through the runc v2 shim, with the pause and busybox images built here and imported.
 * TSRUN_RUNTIME=/usr/sbin/runc runs the same scenarios with runc, which checks the scenarios themselves.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: plain JS module shared with the benchmark
import { HANDLER, PrivateCri, missingCri } from '../../scripts/lib/cri.mjs';

const repo = resolve(import.meta.dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => void> {
  if (process.getuid?.() !== 0) throw new Error('CRI tests need root');
  const missing: string[] = missingCri();
  if (missing.length) throw new Error(`CRI tests need ${missing.join(', ')} (scripts/setup --deps-only installs them)`);
  if (!existsSync(join(repo, 'build/Release/tsrun-test-payload'))) execFileSync('npm', ['run', 'build:native'], { cwd: repo, stdio: 'inherit' });
  if (!process.env.TSRUN_RUNTIME && !existsSync(join(repo, 'dist/tsrun'))) execFileSync('node', ['scripts/bundle.mjs'], { cwd: repo, stdio: 'inherit' });
  const runtime = process.env.TSRUN_RUNTIME ?? join(repo, 'dist/tsrun');
  const work = mkdtempSync(join(tmpdir(), 'tsrun-cri-'));
  const cri = new PrivateCri(join(work, 'cri'), { [HANDLER]: runtime });
  try {
    await cri.start();
    cri.importTestImages(repo, [join(repo, 'build/Release/tsrun-test-payload')]);
  } catch (err) {
    cri.stop();
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  project.provide('criWork', cri.work);
  project.provide('criRuntime', runtime);
  return () => {
    cri.stop();
    rmSync(work, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    criWork: string;
    criRuntime: string;
  }
}

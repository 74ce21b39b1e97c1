import { defineConfig } from 'vitest/config';
// @ts-expect-error: plain JS module shared with the scripts
import { makeEnvHermetic } from './scripts/lib/hermetic-env.mjs';

// `npx vitest` directly gets the same explicit environment as `npm test`: the runtimes and engines the tests
// start inherit it.
makeEnvHermetic();

// As an ordinary user (test/rootless/global-setup.ts makes one), and rootless podman. One file at a time: the
// checks that nothing is left behind look at every process of that user.
const rootless = {
  test: {
    name: 'rootless',
    include: ['test/rootless/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    sequence: { groupOrder: 3 },
    globalSetup: ['test/rootless/global-setup.ts'],
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/engines/**', 'test/rootless/**', 'test/cri/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real containers on a 2-core machine: files in parallel, tests within a file in order.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'engines',
          include: ['test/engines/**/*.test.ts'],
          // containerd, dockerd and podman driving the runtime: slow, and each scenario runs real containers.
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/engines/global-setup.ts'],
        },
      },
      rootless,
      {
        test: {
          name: 'cri',
          include: ['test/cri/**/*.test.ts'],
          // A private containerd's CRI plugin driving the runtime as a kubelet would: pods, real containers.
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          sequence: { groupOrder: 4 },
          globalSetup: ['test/cri/global-setup.ts'],
        },
      },
    ],
  },
});

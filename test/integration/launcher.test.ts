import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { readHostFacts } from '../../src/plan/host.js';
import { specToPlan } from '../../src/plan/create-plan.js';
import { launch } from '../../src/runtime/launcher.js';
import { parseSpec } from '../../src/spec/load.js';
import { Harness, IS_TSRUN, baseConfig, pidAlive, processesUsing } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

describe.skipIf(!IS_TSRUN)('launcher protocol', () => {
  function plan(bundle: string) {
    const state = join(h.work, `state-${Math.random().toString(36).slice(2)}`);
    mkdirSync(state);
    native().mkfifo(join(state, 'exec.fifo'), 0o622);
    const spec = parseSpec(baseConfig(['true']));
    return specToPlan(spec, { id: 'proto', bundle, fifo: join(state, 'exec.fifo'), foreground: false, noPivot: false, noNewKeyring: true, preserveFds: 0 }, readHostFacts());
  }

  it('kills the waiting init when Node fails between PID and CONTINUE, without hanging', () => {
    const bundle = h.bundle(baseConfig(['true']));
    let seen = 0;
    expect(() =>
      launch(plan(bundle), {
        onPid(pid) {
          seen = pid;
          throw new Error('placing the init failed');
        },
      }),
    ).toThrow('placing the init failed');
    expect(seen).toBeGreaterThan(0);
    expect(pidAlive(seen)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
  });
});

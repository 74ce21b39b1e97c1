import { describe, expect, it } from 'vitest';
import { DeviceEmulator } from '../../src/cgroups/device-emulator.js';
import { ALLOWED_DEVICES, deviceRuleLine, deviceRules, type DeviceRule } from '../../src/cgroups/devices.js';

const lines = (rules: DeviceRule[]) => rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${deviceRuleLine(r)}`);

const DEFAULT_LINES = [
  'allow c *:* m',
  'allow b *:* m',
  'allow c 1:3 rwm',
  'allow c 1:8 rwm',
  'allow c 1:7 rwm',
  'allow c 5:0 rwm',
  'allow c 1:5 rwm',
  'allow c 1:9 rwm',
  'allow c 136:* rwm',
  'allow c 5:2 rwm',
  'allow c 10:200 rwm',
];

describe('deviceRules', () => {
  it("is the spec's rules (type a and wildcards by default), then runc's AllowedDevices", () => {
    const rules = deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 4, access: 'rw' }], []);
    expect(lines(rules)).toEqual(['deny a *:* rwm', 'allow c 4:* rw', ...DEFAULT_LINES]);
    expect(ALLOWED_DEVICES).toHaveLength(11);
  });

  it('drops a default rule whose device linux.devices lists', () => {
    const rules = deviceRules(undefined, [{ type: 'c', path: '/dev/null', major: 1, minor: 3 }, { type: 'c', path: '/dev/tty', major: 5, minor: 0 }]);
    expect(lines(rules)).toEqual(DEFAULT_LINES.filter((l) => l !== 'allow c 1:3 rwm' && l !== 'allow c 5:0 rwm'));
  });

  it('refuses an empty access', () => {
    expect(() => deviceRules([{ allow: true, access: 'rwm' }, { allow: true, access: '' }], [])).toThrow('device access at 1 field cannot be empty');
  });

  it('writes rules as the devices cgroup files do', () => {
    expect(deviceRuleLine({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: true })).toBe('a *:* rwm');
    expect(deviceRuleLine({ type: 'b', major: 8, minor: -1, access: 'r', allow: false })).toBe('b 8:* r');
    expect(deviceRuleLine({ type: 'c', major: 1, minor: 3, access: 'rwm', allow: true })).toBe('c 1:3 rwm');
  });
});

describe('DeviceEmulator', () => {
  const rule = (s: string): DeviceRule => {
    const [verb, type, mm, access] = s.split(' ') as [string, 'a' | 'b' | 'c', string, string];
    const [major, minor] = mm.split(':').map((x) => (x === '*' ? -1 : Number(x))) as [number, number];
    return { type, major, minor, access, allow: verb === 'allow' };
  };

  it('takes a new (allow-all) cgroup to a white-list: deny all, then the allowed exceptions in rule order', () => {
    const current = DeviceEmulator.fromList('a *:* rwm\n');
    const target = DeviceEmulator.fromRules(
      deviceRules(
        [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
        ],
        [],
      ),
    );
    // c 1:3 keeps the place of its first rule; the default rule for it only adds permissions.
    expect(lines(current.transition(target))).toEqual([
      'deny a *:* rwm',
      'allow c 10:229 rwm',
      'allow c 1:3 rwm',
      'allow c *:* m',
      'allow b *:* m',
      'allow c 1:8 rwm',
      'allow c 1:7 rwm',
      'allow c 5:0 rwm',
      'allow c 1:5 rwm',
      'allow c 1:9 rwm',
      'allow c 136:* rwm',
      'allow c 5:2 rwm',
      'allow c 10:200 rwm',
    ]);
  });

  it('changes an existing white-list with the fewest writes', () => {
    const current = DeviceEmulator.fromList('c 1:3 rwm\nc 1:5 rw\nb 8:0 r\n');
    const target = DeviceEmulator.fromRules([rule('deny a *:* rwm'), rule('allow c 1:3 rw'), rule('allow c 1:5 rwm'), rule('allow c 4:1 w')]);
    expect(lines(current.transition(target))).toEqual(['deny c 1:3 m', 'deny b 8:0 r', 'allow c 1:5 m', 'allow c 4:1 w']);
  });

  it('merges and removes exceptions as the kernel does', () => {
    const e = DeviceEmulator.fromRules([rule('allow c 1:3 r'), rule('allow c 1:3 w'), rule('deny c 1:3 r'), rule('allow c 2:2 rwm'), rule('deny c 2:2 rwm')]);
    expect(lines(e.cleanRules())).toEqual(['allow c 1:3 w']);
    expect(e.isBlacklist()).toBe(false);
  });

  it('keeps a black-list (allow all, then deny exceptions)', () => {
    const e = DeviceEmulator.fromRules([rule('allow a *:* rwm'), rule('deny c 1:3 rwm')]);
    expect(e.isBlacklist()).toBe(true);
    expect(lines(e.cleanRules())).toEqual(['allow a *:* rwm', 'deny c 1:3 rwm']);
    expect(DeviceEmulator.fromList('a *:* rwm\n').isAllowAll()).toBe(true);
  });

  it('refuses to punch a hole into a wildcard exception', () => {
    expect(() => DeviceEmulator.fromRules([rule('allow c *:* rwm'), rule('deny c 1:3 r')])).toThrow(
      "unable to remove 'allow' exception: requested rule [{99 1 3} r] not supported by devices cgroupv1 (cannot punch hole in existing wildcard rule [{99 -1 -1} rwm])",
    );
    expect(() => DeviceEmulator.fromRules([rule('allow c 1:* rwm'), rule('deny c 1:3 w')])).toThrow('cannot punch hole');
  });

  it('refuses malformed devices.list lines', () => {
    expect(() => DeviceEmulator.fromList('c 1:3\n')).toThrow('malformed devices.list rule');
    expect(() => DeviceEmulator.fromList('x 1:3 rwm\n')).toThrow('unknown device type "x"');
    expect(() => DeviceEmulator.fromList('c 1:3 rwx\n')).toThrow('contained unknown modes or is empty');
  });
});

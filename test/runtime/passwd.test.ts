import { describe, expect, it } from 'vitest';
import { parsePasswdHome } from '../../src/runtime/passwd.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  '# a comment line',
  'nohome:x:1001:1001:::/bin/sh',
  'short:x:1002',
  'alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh',
  'alice2:x:1000:1000::/home/other:/bin/sh',
  '',
].join('\n');

describe('parsePasswdHome', () => {
  it('finds the home directory of a uid', () => {
    expect(parsePasswdHome(PASSWD, 0)).toBe('/root');
    expect(parsePasswdHome(PASSWD, 1)).toBe('/usr/sbin');
  });

  it('takes the first entry of a uid listed twice', () => {
    expect(parsePasswdHome(PASSWD, 1000)).toBe('/home/alice');
  });

  it('returns undefined for an unknown uid, an empty home or a short line', () => {
    expect(parsePasswdHome(PASSWD, 4242)).toBeUndefined();
    expect(parsePasswdHome(PASSWD, 1001)).toBeUndefined();
    expect(parsePasswdHome(PASSWD, 1002)).toBeUndefined();
  });

  it('does not read an empty uid field as uid 0', () => {
    expect(parsePasswdHome('broken:x::0::/nowhere:/bin/sh\nroot:x:0:0::/root:/bin/sh\n', 0)).toBe('/root');
  });

  it('reads a last line without a trailing newline', () => {
    expect(parsePasswdHome('u:x:5:5::/h:/bin/sh', 5)).toBe('/h');
  });
});

import { describe, expect, it } from 'vitest';
import { formatLine } from '../src/log.js';

const T = new Date('2024-03-05T06:07:08.912Z');

describe('formatLine', () => {
  it('writes logrus text: time, level and a quoted message, seconds precision', () => {
    expect(formatLine('error', 'container does not exist', 'text', T)).toBe(
      'time="2024-03-05T06:07:08Z" level=error msg="container does not exist"\n',
    );
  });

  it('escapes quotes, backslashes and newlines in text messages', () => {
    expect(formatLine('warning', 'bad "x" \\ y\nz', 'text', T)).toBe(
      'time="2024-03-05T06:07:08Z" level=warning msg="bad \\"x\\" \\\\ y\\nz"\n',
    );
  });

  it('writes one JSON object per line with level, msg and an RFC 3339 time', () => {
    const line = formatLine('error', 'say "hi"\nbye', 'json', T);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ level: 'error', msg: 'say "hi"\nbye', time: '2024-03-05T06:07:08Z' });
  });

  it('keeps the json key order level, msg, time', () => {
    expect(formatLine('debug', 'm', 'json', T)).toBe('{"level":"debug","msg":"m","time":"2024-03-05T06:07:08Z"}\n');
  });

  it('uses the current time by default', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { time } = JSON.parse(formatLine('info', 'now', 'json')) as { time: string };
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });
});

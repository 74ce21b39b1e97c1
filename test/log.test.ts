import { execFileSync, spawn } from 'node:child_process';
import { fstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configureLog, formatLine, log } from '../src/log.js';

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

describe('--log FILE', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tsrun-log-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  afterEach(() => configureLog({ format: 'text', debug: false }));
  let n = 0;
  const path = (name: string) => join(tmp, `${n++}-${name}`);

  it('appends to a regular file, created 0644 if missing', () => {
    const f = path('log');
    writeFileSync(f, 'earlier\n');
    configureLog({ file: f, format: 'json', debug: false });
    log.warn('one');
    configureLog({ format: 'text', debug: false });
    const lines = readFileSync(f, 'utf8').split('\n');
    expect(lines[0]).toBe('earlier');
    expect(JSON.parse(lines[1]!).msg).toBe('one');
  });

  it('never writes through a symlink planted at the log path', () => {
    const victim = path('victim');
    writeFileSync(victim, 'precious\n');
    const f = path('log');
    symlinkSync(victim, f);
    expect(() => configureLog({ file: f, format: 'text', debug: false })).toThrow(`log file ${f}: a symlink, not followed`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('refuses a FIFO without blocking, with or without a reader', async () => {
    const f = path('fifo');
    execFileSync('mkfifo', [f]);
    expect(() => configureLog({ file: f, format: 'text', debug: false })).toThrow(`log file ${f}: not a regular file or a character device (a FIFO)`);
    const reader = spawn('cat', [f], { stdio: 'ignore' });
    try {
      // The reader may not have opened it yet: either way the answer is the same, at once.
      expect(() => configureLog({ file: f, format: 'text', debug: false })).toThrow('(a FIFO)');
    } finally {
      reader.kill();
    }
  });

  it('refuses a directory', () => {
    expect(() => configureLog({ file: tmp, format: 'text', debug: false })).toThrow(`open log file ${tmp}: is a directory`);
  });

  it('writes to a character device such as /dev/null', () => {
    configureLog({ file: '/dev/null', format: 'text', debug: false });
    expect(log.toFile).toBe(true);
    log.warn('into the void');
  });

  it('takes /dev/stderr (a root-owned symlink) as our own stderr, and never closes it', () => {
    configureLog({ file: '/dev/stderr', format: 'text', debug: false });
    expect(log.toFile).toBe(true);
    configureLog({ format: 'text', debug: false });
    expect(() => fstatSync(2)).not.toThrow();
  });
});

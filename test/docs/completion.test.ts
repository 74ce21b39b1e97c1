import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GLOBAL_FLAGS } from '../../src/cli/global.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { bashCompletion, zshCompletion } from '../../src/docs/completion.js';

const work = mkdtempSync(join(tmpdir(), 'tsrun-completion-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const docs = COMMANDS.map((c) => c.doc);
const bashFile = join(work, 'tsrun.bash');
writeFileSync(bashFile, bashCompletion(docs, GLOBAL_FLAGS));
// A stand-in tsrun on PATH: `list -q` names the containers of the --root it is given.
writeFileSync(join(work, 'tsrun'), '#!/bin/sh\n[ "$1" = --root ] && [ "$3" = list ] && { echo "in-$2"; exit 0; }\n[ "$1" = list ] && echo web && echo worker\n', { mode: 0o755 });

/** What bash completes for the words (the last one is being typed). */
function complete(...words: string[]): string[] {
  const script = `source ${bashFile}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tsrun; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: work, env: { PATH: `${work}:/usr/bin:/bin` } });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion', () => {
  it('completes commands, global options and their values', () => {
    expect(complete('tsrun', 'ki')).toEqual(['kill']);
    expect(complete('tsrun', 'st')).toEqual(['start', 'state']);
    expect(complete('tsrun', '--log-f')).toEqual(['--log-format']);
    expect(complete('tsrun', '--log-format', '')).toEqual(['json', 'text']);
    expect(complete('tsrun', '--root', '/tmp', 'de')).toEqual(['delete']);
  });

  it("completes a command's flags and their choices", () => {
    expect(complete('tsrun', 'kill', '--a')).toEqual(['--all']);
    expect(complete('tsrun', 'list', '--format', '')).toEqual(['json', 'table']);
    for (const { name, flags } of docs)
      for (const [flag, f] of Object.entries(flags)) if (!f.hidden) expect(complete('tsrun', name, `--${flag}`), `${name} --${flag}`).toContain(`--${flag}`);
  });

  it('completes container ids from the state root given on the line, and signals after the id', () => {
    expect(complete('tsrun', 'kill', '')).toEqual(['web', 'worker']);
    expect(complete('tsrun', '--root', '/srv/x', 'state', '')).toEqual(['in-/srv/x']);
    expect(complete('tsrun', '--root=/srv/y', 'delete', '')).toEqual(['in-/srv/y']);
    expect(complete('tsrun', 'kill', 'web', 'KI')).toEqual(['KILL']);
    expect(complete('tsrun', 'kill', '-a', 'web', 'TE')).toEqual(['TERM']);
    expect(complete('tsrun', 'list', '')).toEqual([]);
  });
});

describe('zsh completion', () => {
  it('is a valid #compdef function naming every command and flag', () => {
    const text = zshCompletion(docs, GLOBAL_FLAGS);
    const file = join(work, '_tsrun');
    writeFileSync(file, text);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(text.startsWith('#compdef tsrun\n')).toBe(true);
    for (const { name, flags } of docs) {
      expect(text).toContain(`    '${name}:`);
      for (const [flag, f] of Object.entries(flags)) if (!f.hidden) expect(text, `${name} --${flag}`).toContain(`--${flag}`);
    }
  });
});

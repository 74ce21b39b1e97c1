import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GLOBAL_FLAGS } from '../../src/cli/global.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { MAIN_PAGE_TEXT } from '../../src/docs/main-page.js';
import { commandPage, mainPage, roff } from '../../src/docs/man.js';

/** groff's rendering as text, and its warnings (-ww): a page must have none. */
function render(page: string) {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rLL=200n'], { input: page, encoding: 'utf8' });
  const text = r.stdout.replace(/.\x08/g, '').replace(/\u2010/g, '-');
  return { status: r.status, warnings: r.stderr, text };
}

describe('manual pages', () => {
  it('escapes what troff would read as requests or escapes', () => {
    expect(roff('a-b \\x')).toBe('a\\-b \\ex');
    expect(roff('.not a request\n\'nor this')).toBe('\\&.not a request\n\\&\'nor this');
  });

  it.each(COMMANDS.map((c) => [c.doc.name, c.doc] as const))('tsrun-%s(8): name, synopsis, every shown flag, examples', (name, doc) => {
    const { status, warnings, text } = render(commandPage(doc, '1.2.3'));
    expect({ status, warnings }).toEqual({ status: 0, warnings: '' });
    expect(text).toContain(`tsrun-${name} - ${doc.summary}`);
    expect(text).toContain(`tsrun [global options] ${name}`);
    for (const [flag, f] of Object.entries(doc.flags)) {
      if (f.hidden) expect(text, flag).not.toMatch(new RegExp(`--${flag}(?![\\w-])`));
      else expect(text, flag).toMatch(new RegExp(`--${flag}(?![\\w-])`));
    }
    for (const [cmd] of doc.examples) expect(text).toContain(cmd);
    expect(text).toContain('tsrun 1.2.3');
  });

  it('tsrun(8) lists every command and the global options', () => {
    const { status, warnings, text } = render(mainPage({ version: '1.2.3', commands: COMMANDS.map((c) => c.doc), globals: GLOBAL_FLAGS, ...MAIN_PAGE_TEXT }));
    expect({ status, warnings }).toEqual({ status: 0, warnings: '' });
    for (const { doc } of COMMANDS) expect(text).toContain(`tsrun-${doc.name}(8)`);
    for (const [flag, f] of Object.entries(GLOBAL_FLAGS)) if (!f.hidden) expect(text).toMatch(new RegExp(`--${flag}(?![\\w-])`));
    expect(text).toMatch(/FILES[\s\S]*\/run\/tsrun/);
  });
});

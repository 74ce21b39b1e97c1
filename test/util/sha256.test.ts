import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/util/sha256.js';

describe('sha256', () => {
  it('gives the standard digests, across several updates and encodings', () => {
    expect(sha256().update('abc').digest().toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256().update('a').update(Buffer.from('b')).update('c', 'latin1').digest().toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

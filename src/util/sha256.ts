/**
 * SHA-256, from the JavaScript engine's own hasher when it has one: loading node:crypto costs ~3 ms of every
 * call under bun, where its built-in CryptoHasher is at hand at once. Node (the tests) gets node:crypto, loaded
 * only when first used. Both give the same digest.
 */
import { cryptoModule } from './builtins.js';

interface Hasher {
  update(data: string | Uint8Array, encoding?: 'latin1' | 'utf8'): Hasher;
  digest(): Buffer;
}

type BunHasher = { update(d: string | Uint8Array, e?: string): BunHasher; digest(): Uint8Array };
const bun = (globalThis as { Bun?: { CryptoHasher: new (alg: string) => BunHasher } }).Bun;

export function sha256(): Hasher {
  if (bun) {
    const h = new bun.CryptoHasher('sha256');
    const wrap: Hasher = {
      update(data, encoding) {
        h.update(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data);
        return wrap;
      },
      digest: () => Buffer.from(h.digest()),
    };
    return wrap;
  }
  const { createHash } = cryptoModule();
  const h = createHash('sha256');
  const wrap: Hasher = {
    update(data, encoding) {
      if (typeof data === 'string') h.update(data, encoding ?? 'utf8');
      else h.update(data);
      return wrap;
    },
    digest: () => h.digest(),
  };
  return wrap;
}

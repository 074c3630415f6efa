// Compiled with `tsc --noEmit` by the test suite: the declarations in js/hash/index.d.ts must
// describe the API as README.md shows it.
import { sha256, createHasher, toHex, age, aead, load, hashBlob, NearnativeError, spawnWorker } from '../../dist/npm/hash/index.js';

const digest: Uint8Array = sha256('abc');
const hex: string = createHasher('blake3').update('a').update(new Uint8Array([1])).digestHex();
const scalar = await load('scalar');
const same: boolean = toHex(scalar.sha256('abc')) === toHex(digest);
const { identity, recipient } = await age.generateIdentity();
const file: Uint8Array = await age.encrypt('hi', { recipients: [recipient], armor: true });
const plain: Uint8Array = await age.decrypt(file, { identity });
const sealed: Uint8Array = aead.seal('chacha20-poly1305', new Uint8Array(32), new Uint8Array(12), plain);
const sums = await hashBlob(new Blob(['x']), { algorithms: ['sha256', 'blake3'] });
const b3: Uint8Array = sums.blake3;
try {
  sha256(42 as unknown as string);
} catch (err) {
  if (err instanceof NearnativeError && err.code === 'invalid_input') console.log('typed error');
}
const worker = typeof Worker === 'undefined' ? null : spawnWorker();
console.log(hex, same, sealed.length, b3.length, worker !== null);

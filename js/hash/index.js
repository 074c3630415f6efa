// @nearnative/hash: import and use; the right build (simd128 or scalar) is picked at load.
import { load } from './loader.js';

const api = await load('auto');

export { load };
export { NearnativeError, toHex, fromHex } from './api.js';
export const {
  features, algorithms, digest, createHasher, hashStream, hashBlob, hmac, createHmac, hkdf, pbkdf2Sha256,
  argon2id, aead, age, sha1, sha224, sha256, sha384, sha512, sha3_256, sha3_512, blake2b_512, blake2s_256,
  blake3, xxh64, xxh3_64, xxh3_128, crc32, crc32c,
} = api;
export { spawnWorker } from './client.js';

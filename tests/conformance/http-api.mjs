// The vector API of vectors-js.mjs over nearnative's HTTP routes (crates/edge), so the
// conformance matrix can run every vector through an edge host: a digest is
// POST /v1/hash/{algo}, an AEAD seal POST /v1/aead/{algo}/seal, an age file POST /v1/decrypt.
// Failures come back as `{"error":{"code"}}` and are rethrown with that `code`.

const hex = (bytes) => Buffer.from(bytes).toString('hex');

export function httpApi(baseUrl) {
  async function call(path, body, headers = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.ok) return bytes;
    let error;
    try {
      error = JSON.parse(Buffer.from(bytes).toString()).error;
    } catch {
      throw new Error(`${path}: HTTP ${res.status} without a JSON error body`);
    }
    throw Object.assign(new Error(error.message), { code: error.code, status: res.status });
  }
  const fromJson = (bytes) => Uint8Array.from(Buffer.from(JSON.parse(Buffer.from(bytes).toString()).hex, 'hex'));
  const kdf = async (name, params) => fromJson(await call(`/v1/kdf/${name}`, JSON.stringify(params), { 'content-type': 'application/json' }));
  const aeadHeaders = (key, nonce, aad) => ({ 'nearnative-key': hex(key), 'nearnative-nonce': hex(nonce), 'nearnative-aad': hex(aad) });
  return {
    digest: async (algorithm, data) => fromJson(await call(`/v1/hash/${algorithm}`, data)),
    hmac: async (algorithm, key, data) => fromJson(await call(`/v1/hmac/${algorithm}`, data, { 'nearnative-key': hex(key) })),
    hkdf: (algorithm, ikm, salt, info, length) =>
      kdf(`hkdf-${algorithm.replace(/^hmac-/, '')}`, { ikm_hex: hex(ikm), salt_hex: hex(salt), info_hex: hex(info), length }),
    pbkdf2Sha256: (password, salt, rounds, length) => kdf('pbkdf2-sha256', { password_hex: hex(password), salt_hex: hex(salt), rounds, length }),
    argon2id: (password, salt, o) => kdf('argon2id', {
      password_hex: hex(password), salt_hex: hex(salt), memory_kib: o.memoryKib, iterations: o.iterations,
      parallelism: o.parallelism, length: o.length, secret_hex: hex(o.secret ?? []), ad_hex: hex(o.associatedData ?? []),
    }),
    aead: {
      seal: (algorithm, key, nonce, plaintext, aad) => call(`/v1/aead/${algorithm}/seal`, plaintext, aeadHeaders(key, nonce, aad)),
      open: (algorithm, key, nonce, sealed, aad) => call(`/v1/aead/${algorithm}/open`, sealed, aeadHeaders(key, nonce, aad)),
    },
    age: {
      decrypt: (file, { passphrase, identity }) => call('/v1/decrypt', file, passphrase != null
        ? { 'nearnative-passphrase': passphrase }
        // One identity per line in a file; comma-separated in the header.
        : { 'nearnative-identity': identity.split('\n').filter(Boolean).join(',') }),
    },
  };
}

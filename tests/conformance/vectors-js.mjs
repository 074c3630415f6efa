// Runs vector cases through the public API of @nearnative/hash and returns, per case, the
// canonical output line that the Rust runner prints (nearnative_vectors::canonical_output):
// hex for digests/MACs/KDFs, `SEAL/OPEN` hex for valid AEAD cases, `sha256:HEX` for age,
// `error:CODE` for failures. Pure ESM with no Node imports: it runs in Node, in a page and in
// a Web Worker alike.

const fromHex = (h) => {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
};
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

function message(c) {
  if (c.input_hex !== undefined) return fromHex(c.input_hex);
  const out = new Uint8Array(c.input_len);
  for (let i = 0; i < out.length; i++) out[i] = i % 251;
  return out;
}

async function shown(fn) {
  try {
    return toHex(await fn());
  } catch (err) {
    if (!err.code) throw err;
    return `error:${err.code}`;
  }
}

async function caseOutput(api, c) {
  switch (c.op) {
    case 'digest':
      return toHex(await api.digest(c.algorithm, message(c)));
    case 'hmac':
      return toHex(await api.hmac(c.algorithm, fromHex(c.key_hex), message(c)));
    case 'hkdf':
      return shown(() => api.hkdf(c.algorithm, fromHex(c.ikm_hex), fromHex(c.salt_hex), fromHex(c.info_hex), c.length));
    case 'pbkdf2':
      return shown(() => api.pbkdf2Sha256(fromHex(c.password_hex), fromHex(c.salt_hex), c.rounds, c.length));
    case 'argon2id':
      return shown(() => api.argon2id(fromHex(c.password_hex), fromHex(c.salt_hex), {
        memoryKib: c.memory_kib, iterations: c.iterations, parallelism: c.parallelism, length: c.length,
        secret: fromHex(c.secret_hex), associatedData: fromHex(c.ad_hex),
      }));
    case 'aead': {
      const [key, nonce, aad] = [fromHex(c.key_hex), fromHex(c.nonce_hex), fromHex(c.aad_hex)];
      const opened = await shown(() => api.aead.open(c.algorithm, key, nonce, fromHex(c.sealed_hex), aad));
      if (!c.valid) return opened;
      const sealed = await shown(() => api.aead.seal(c.algorithm, key, nonce, fromHex(c.plaintext_hex), aad));
      return `${sealed}/${opened}`;
    }
    case 'age_decrypt': {
      const file = fromBase64(c.file_base64);
      try {
        const options = c.passphrase != null ? { passphrase: c.passphrase } : { identity: c.identities.join('\n') };
        const plain = await api.age.decrypt(file, options);
        return `sha256:${toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', plain)))}`;
      } catch (err) {
        if (!err.code) throw err;
        return `error:${err.code}`;
      }
    }
    default:
      return `malformed:unknown op '${c.op}'`;
  }
}

/** `{ set, outputs: [[id, output], ...] }` for one parsed vector file. */
export async function runVectorFile(api, doc) {
  const outputs = [];
  for (const c of doc.cases) outputs.push([c.id, await caseOutput(api, c)]);
  return { set: doc.set, outputs };
}

// Types for @nearnative/hash. The implementation is Rust (crates/hash) compiled to
// WebAssembly; this package picks the simd128 or the scalar build when it loads.

/** Anything byte-like. Strings are UTF-8 encoded. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | string;

export type DigestAlgorithm =
  | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-512'
  | 'blake2b-512' | 'blake2s-256' | 'blake3' | 'xxh64' | 'xxh3-64' | 'xxh3-128' | 'crc32' | 'crc32c';

export type MacAlgorithm = 'hmac-sha224' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';
export type AeadAlgorithm = 'aes-256-gcm' | 'chacha20-poly1305' | 'xchacha20-poly1305';

/** Stable error codes; the same strings on every nearnative host. */
export type ErrorCode = 'invalid_input' | 'unsupported' | 'limit_exceeded' | 'auth_failed' | 'io' | 'internal';

export class NearnativeError extends Error {
  readonly name: 'NearnativeError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string);
}

export interface Features {
  /** True when the simd128 build is running. */
  simd128: boolean;
  threads: boolean;
  version: string;
  flavor: 'simd' | 'scalar';
}

export interface Hasher {
  readonly algorithm: DigestAlgorithm;
  update(data: BytesLike): this;
  /** Finalizes; the hasher cannot be used afterwards. */
  digest(): Uint8Array;
  digestHex(): string;
}

export interface Hmac {
  update(data: BytesLike): this;
  digest(): Uint8Array;
}

export interface Progress {
  bytes: number;
  total?: number;
}

export interface HashStreamOptions<A extends DigestAlgorithm> {
  algorithms?: A[] | A;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export interface Argon2Options {
  /** Memory cost in KiB (default 19456 = 19 MiB). */
  memoryKib?: number;
  iterations?: number;
  parallelism?: number;
  /** Output length in bytes (default 32). */
  length?: number;
  secret?: BytesLike;
  associatedData?: BytesLike;
}

export interface AgeEncryptOptions {
  /** age1... X25519 recipients. */
  recipients?: string[] | string;
  /** Encrypt with a passphrase instead (scrypt). */
  passphrase?: string;
  /** scrypt work factor, log2 N (default 18). */
  workFactor?: number;
  /** PEM-style ASCII armor. */
  armor?: boolean;
}

export interface AgeDecryptOptions {
  /** An identity file's text (AGE-SECRET-KEY-1..., # comments allowed), or several keys. */
  identity?: string | string[];
  passphrase?: string;
}

export interface Age {
  /** Loads the age module now; otherwise it is loaded on first use. */
  load(source?: BufferSource | WebAssembly.Module | URL | Response): Promise<void>;
  generateIdentity(): Promise<{ identity: string; recipient: string }>;
  toRecipients(identityText: string): Promise<string[]>;
  encrypt(plaintext: BytesLike, options: AgeEncryptOptions): Promise<Uint8Array>;
  decrypt(file: BytesLike, options: AgeDecryptOptions): Promise<Uint8Array>;
  isPassphraseFile(file: BytesLike): Promise<boolean>;
}

export interface Aead {
  /** Returns ciphertext || 16-byte tag. */
  seal(algorithm: AeadAlgorithm, key: BytesLike, nonce: BytesLike, plaintext: BytesLike, aad?: BytesLike): Uint8Array;
  /** Throws `auth_failed` unless the whole message authenticates. */
  open(algorithm: AeadAlgorithm, key: BytesLike, nonce: BytesLike, sealed: BytesLike, aad?: BytesLike): Uint8Array;
}

export interface HashApi {
  features(): Features;
  algorithms(): DigestAlgorithm[];
  digest(algorithm: DigestAlgorithm, data: BytesLike): Uint8Array;
  createHasher(algorithm: DigestAlgorithm): Hasher;
  /** Hashes a Blob, File or ReadableStream with several algorithms in one pass. */
  hashStream<A extends DigestAlgorithm>(
    source: Blob | ReadableStream<Uint8Array>, options?: HashStreamOptions<A>): Promise<Record<A, Uint8Array>>;
  hashBlob<A extends DigestAlgorithm>(
    source: Blob | ReadableStream<Uint8Array>, options?: HashStreamOptions<A>): Promise<Record<A, Uint8Array>>;
  hmac(algorithm: MacAlgorithm, key: BytesLike, data: BytesLike): Uint8Array;
  createHmac(algorithm: MacAlgorithm, key: BytesLike): Hmac;
  hkdf(algorithm: MacAlgorithm, ikm: BytesLike, salt: BytesLike | undefined, info: BytesLike | undefined, length: number): Uint8Array;
  pbkdf2Sha256(password: BytesLike, salt: BytesLike, rounds: number, length: number): Uint8Array;
  argon2id(password: BytesLike, salt: BytesLike, options?: Argon2Options): Uint8Array;
  aead: Aead;
  age: Age;
  toHex(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): string;
  fromHex(hex: string): Uint8Array;
  sha1(data: BytesLike): Uint8Array;
  sha224(data: BytesLike): Uint8Array;
  sha256(data: BytesLike): Uint8Array;
  sha384(data: BytesLike): Uint8Array;
  sha512(data: BytesLike): Uint8Array;
  sha3_256(data: BytesLike): Uint8Array;
  sha3_512(data: BytesLike): Uint8Array;
  blake2b_512(data: BytesLike): Uint8Array;
  blake2s_256(data: BytesLike): Uint8Array;
  blake3(data: BytesLike): Uint8Array;
  xxh64(data: BytesLike): Uint8Array;
  xxh3_64(data: BytesLike): Uint8Array;
  xxh3_128(data: BytesLike): Uint8Array;
  crc32(data: BytesLike): Uint8Array;
  crc32c(data: BytesLike): Uint8Array;
}

export interface LoadOptions {
  /** Where the hash module's .wasm comes from (default: beside this file). */
  hashSource?: BufferSource | WebAssembly.Module | URL | Response;
  ageSource?: BufferSource | WebAssembly.Module | URL | Response;
}

/** Loads a specific build; the named exports below are the 'auto' build, loaded at import. */
export function load(flavor?: 'auto' | 'simd' | 'scalar', options?: LoadOptions): Promise<HashApi>;

export interface WorkerClient {
  /** Resolves with the worker's features() once it has loaded. */
  ready: Promise<Features>;
  hashBlob<A extends DigestAlgorithm>(
    blob: Blob, options?: { algorithms?: A[]; onProgress?: (p: Progress) => void; signal?: AbortSignal }): Promise<Record<A, Uint8Array>>;
  /** Calls a method in the worker: 'digest', 'hmac', 'hkdf', 'pbkdf2Sha256', 'argon2id', 'aead.seal',
   * 'aead.open', 'age.generateIdentity', 'age.encrypt', 'age.decrypt', 'age.toRecipients', 'features', 'algorithms'. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  terminate(): void;
}

/** Starts a module Web Worker running this package (browsers; not Node). */
export function spawnWorker(options?: { url?: URL | string }): WorkerClient;

export declare const features: HashApi['features'];
export declare const algorithms: HashApi['algorithms'];
export declare const digest: HashApi['digest'];
export declare const createHasher: HashApi['createHasher'];
export declare const hashStream: HashApi['hashStream'];
export declare const hashBlob: HashApi['hashBlob'];
export declare const hmac: HashApi['hmac'];
export declare const createHmac: HashApi['createHmac'];
export declare const hkdf: HashApi['hkdf'];
export declare const pbkdf2Sha256: HashApi['pbkdf2Sha256'];
export declare const argon2id: HashApi['argon2id'];
export declare const aead: Aead;
export declare const age: Age;
export declare function toHex(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): string;
export declare function fromHex(hex: string): Uint8Array;
export declare const sha1: HashApi['sha1'];
export declare const sha224: HashApi['sha224'];
export declare const sha256: HashApi['sha256'];
export declare const sha384: HashApi['sha384'];
export declare const sha512: HashApi['sha512'];
export declare const sha3_256: HashApi['sha3_256'];
export declare const sha3_512: HashApi['sha3_512'];
export declare const blake2b_512: HashApi['blake2b_512'];
export declare const blake2s_256: HashApi['blake2s_256'];
export declare const blake3: HashApi['blake3'];
export declare const xxh64: HashApi['xxh64'];
export declare const xxh3_64: HashApi['xxh3_64'];
export declare const xxh3_128: HashApi['xxh3_128'];
export declare const crc32: HashApi['crc32'];
export declare const crc32c: HashApi['crc32c'];

#!/usr/bin/env python3
"""Generates checksums.json and hashlib-sanity.json.

xxHash and CRC-32/CRC-32C have no official known-answer files of the RFC/CAVP kind, so
checksums.json holds values computed by implementations independent of the Rust crates
nearnative uses (xxhash-rust, crc32fast, crc32c):

  * crc32     Python's zlib.crc32 (zlib's C implementation)
  * crc32c    PyPI `crc32c` (its own C implementation, hardware or software)
  * xxh64, xxh3-64, xxh3-128
              PyPI `xxhash` (bindings to the reference C xxHash library), printed with
              hexdigest(), the canonical big-endian form that `xxhsum` prints.

hashlib-sanity.json adds long and block-boundary inputs for SHA-1/SHA-2/SHA-3/BLAKE2, whose
official files (CAVP, the BLAKE2 KAT) stop at short inputs for BLAKE2 or hold random
messages only; the values come from Python's hashlib (OpenSSL / Python's own BLAKE2).

Usage:  pip install xxhash crc32c && python3 generate_checksums.py [OUT_DIR]
Generated with Python 3.11.7, xxhash 4.1.0 (libxxhash 0.8.4), crc32c 2.9.post0.
"""

import hashlib
import json
import os
import sys
import zlib

import crc32c
import xxhash

# Inputs given as text (hex-encoded in the file), then generated inputs i % 251 of these
# lengths: they cover xxh3's size classes (0, 1-3, 4-8, 9-16, 17-128, 129-240, >240), its
# 64-byte stripes and 1024-byte blocks, and xxh64's 32-byte lanes.
TEXT_INPUTS = [b"", b"a", b"abc", b"123456789", b"message digest",
               b"The quick brown fox jumps over the lazy dog"]
LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 239,
           240, 241, 255, 256, 257, 511, 512, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 10000,
           65536, 100003]

HASHLIB_LENGTHS = [55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 135, 136, 137, 143, 144, 145,
                   1000, 4095, 4096, 4097, 100000, 1000003]
HASHLIB_ALGORITHMS = [("sha1", "sha1"), ("sha224", "sha224"), ("sha256", "sha256"),
                      ("sha384", "sha384"), ("sha512", "sha512"), ("sha3-256", "sha3_256"),
                      ("sha3-512", "sha3_512"), ("blake2b-512", "blake2b"),
                      ("blake2s-256", "blake2s")]


def pattern(length):
    return bytes(i % 251 for i in range(length))


def checksum_values(data):
    return {
        "crc32": f"{zlib.crc32(data) & 0xFFFFFFFF:08x}",
        "crc32c": f"{crc32c.crc32c(data):08x}",
        "xxh64": xxhash.xxh64(data, seed=0).hexdigest(),
        "xxh3-64": xxhash.xxh3_64(data, seed=0).hexdigest(),
        "xxh3-128": xxhash.xxh3_128(data, seed=0).hexdigest(),
    }


def write_set(out_dir, name, comment, cases):
    head = json.dumps({"_comment": comment, "set": name}, ensure_ascii=True)[:-1]
    body = ",\n".join(json.dumps(c, separators=(",", ":"), ensure_ascii=True) for c in cases)
    text = head + ',\n "cases": [\n' + body + "\n]}\n"
    json.loads(text)
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="ascii") as f:
        f.write(text)
    print(f"{name}: {len(cases)} cases, {len(text)} bytes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

    # Published check values, asserted so a broken library cannot produce the file.
    assert checksum_values(b"123456789")["crc32"] == "cbf43926"
    assert checksum_values(b"123456789")["crc32c"] == "e3069283"
    assert checksum_values(b"")["xxh64"] == "ef46db3751d8e999"
    assert checksum_values(b"")["xxh3-64"] == "2d06800538d394c2"
    assert checksum_values(b"")["xxh3-128"] == "99aa06d3014798d86001c324468d497f"

    cases = []
    for index, text in enumerate(TEXT_INPUTS):
        for algorithm, value in checksum_values(text).items():
            cases.append({"id": f"{algorithm}/text{index}", "op": "digest", "algorithm": algorithm,
                          "input_hex": text.hex(), "expected_hex": value})
    for length in LENGTHS:
        for algorithm, value in checksum_values(pattern(length)).items():
            cases.append({"id": f"{algorithm}/len={length}", "op": "digest",
                          "algorithm": algorithm, "input_len": length, "expected_hex": value})
    write_set(out, "checksums",
              "Not an official file: xxHash and CRC have no RFC/CAVP-style known-answer files. "
              "Made by tests/vectors/generate_checksums.py with implementations independent of "
              "the Rust crates under test: crc32 = Python zlib.crc32; crc32c = PyPI crc32c "
              "2.9.post0; xxh64 / xxh3-64 / xxh3-128 = PyPI xxhash 4.1.0 (reference C libxxhash "
              "0.8.4), seed 0, hexdigest() i.e. the canonical big-endian hex that xxhsum prints; "
              "CRCs as 8 hex digits of the 32-bit value (big-endian). Inputs: a few ASCII texts "
              "(input_hex), then input_len = bytes i % 251 at lengths around the algorithms' "
              "block and size-class boundaries. The generator asserts the published check "
              "values first (CRC-32 and CRC-32C of '123456789', XXH64/XXH3 of the empty input).",
              cases)

    cases = []
    for length in HASHLIB_LENGTHS:
        data = pattern(length)
        for algorithm, python_name in HASHLIB_ALGORITHMS:
            cases.append({"id": f"{algorithm}/len={length}", "op": "digest", "algorithm": algorithm,
                          "input_len": length,
                          "expected_hex": hashlib.new(python_name, data).hexdigest()})
    write_set(out, "hashlib-sanity",
              "Not an official file: a sanity set made by tests/vectors/generate_checksums.py "
              "with Python 3.11 hashlib (OpenSSL for SHA-1/SHA-2/SHA-3, Python's bundled "
              "reference BLAKE2). It adds what the official files lack: inputs around the "
              "64/128-byte SHA-2 blocks and the 136/72-byte SHA3-256/512 rates, and long inputs "
              "(up to 1000003 bytes) for every digest, BLAKE2 included (its official KAT stops "
              "at 255 bytes). Inputs are input_len = bytes i % 251.",
              cases)


if __name__ == "__main__":
    main()

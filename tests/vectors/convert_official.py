#!/usr/bin/env python3
"""Converts official test-vector files into nearnative's plain JSON vector format.

This is how every `*.json` file in this directory except `checksums.json` and
`hashlib-sanity.json` (see generate_checksums.py) was made. It only reads data files and
RFC text transcribed below; it runs no code from the source projects.

Usage:
    python3 convert_official.py SRC_DIR [OUT_DIR]

SRC_DIR holds the source files laid out as <owner>/<repo>/<path in that repo>:

    briansmith/ring/cavp/third_party/NIST/SHAVS/SHA{1,224,256,384,512}{Short,Long}Msg.rsp
    orion-rs/orion/tests/test_data/third_party/nist/SHA3/SHA3_{256,512}{Short,Long}Msg.rsp
    BLAKE3-team/BLAKE3/test_vectors/test_vectors.json
    BLAKE2/BLAKE2/testvectors/blake2-kat.json
    C2SP/wycheproof/testvectors_v1/{aes_gcm,chacha20_poly1305,xchacha20_poly1305}_test.json
    C2SP/CCTV/age/testdata/*

The commits the committed files were made from are listed in SOURCES below and in
README.md. RFC vectors (4231, 5869, 7914, 8439, 9106) are transcribed from the RFC text and
cross-checked here against Python's own hashlib/hmac before they are written, so a
transcription slip fails the conversion instead of producing a wrong vector.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import zlib

SOURCES = {
    "briansmith/ring": "19b21ad9641baeaa1ecd96bdcb507fbd9f09db66",
    "orion-rs/orion": "5d812457d9795ec4a0f89ac739607d6bb9d2b71f",
    "BLAKE3-team/BLAKE3": "77b257eee7da5cd608eaf6be8343d3a4c9776af2",
    "BLAKE2/BLAKE2": "ed1974ea83433eba7b2d95c5dcd9ac33cb847913",
    "C2SP/wycheproof": "dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166",
    "C2SP/CCTV": "1e3d2860d46e94e777e1b17c7a6f2436387e3ecc",
}

# Long-message CAVP files too large to keep whole within the size budget (each vector file
# under ~2 MB, all of them under ~8 MB): keep every STEP-th case (index 0, STEP, 2*STEP, ...)
# so the kept lengths still span the file's whole range. Case ids keep the original index.
LONG_MSG_STEP = {
    "SHA384LongMsg": 4,
    "SHA512LongMsg": 4,
    "SHA3_256LongMsg": 2,
}

# age testkit: files whose decompressed size is above this are left out (the 257/258-chunk
# STREAM files are ~16 MiB each once decompressed).
AGE_MAX_FILE_BYTES = 1 << 20
AGE_MAX_SCRYPT_WORK_FACTOR = 20
# Cases with large age files (multi-chunk STREAM payloads) go to their own sets, packed in
# file order into parts of at most AGE_PART_BYTES of JSON, so that each file stays small.
AGE_STREAM_SET_MIN_BYTES = 60_000
AGE_PART_BYTES = 1_500_000


def src_path(src, repo, path):
    return os.path.join(src, repo, path)


def write_set(out_dir, name, comment, cases):
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), f"duplicate case ids in {name}"
    doc = {"_comment": comment, "set": name, "cases": cases}
    path = os.path.join(out_dir, f"{name}.json")
    with open(path, "w", encoding="ascii") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"), ensure_ascii=True)
        f.write("\n")
    # One case per line keeps diffs readable without inflating the file much.
    with open(path, encoding="ascii") as f:
        text = f.read()
    pretty = json.dumps({"_comment": comment, "set": name}, ensure_ascii=True)[:-1]
    body = ",\n".join(json.dumps(c, separators=(",", ":"), ensure_ascii=True) for c in cases)
    text = pretty + ',\n "cases": [\n' + body + "\n]}\n"
    json.loads(text)
    with open(path, "w", encoding="ascii") as f:
        f.write(text)
    print(f"{name}: {len(cases)} cases, {len(text)} bytes")


# --- NIST CAVP (SHAVS byte-oriented .rsp) -------------------------------------------------

def parse_rsp(path):
    """Yields (Len in bits, Msg hex, MD hex) in file order."""
    with open(path, encoding="ascii") as f:
        lines = [line.strip() for line in f]
    entry = {}
    for line in lines:
        if not line or line.startswith("#") or line.startswith("["):
            continue
        key, _, value = line.partition("=")
        entry[key.strip()] = value.strip().lower()
        if key.strip() == "MD":
            yield int(entry["Len"]), entry["Msg"], entry["MD"]
            entry = {}


def cavp_cases(path, stem, algorithm, python_name):
    cases = []
    step = LONG_MSG_STEP.get(stem, 1)
    for index, (bits, msg, md) in enumerate(parse_rsp(path)):
        assert bits % 8 == 0, "byte-oriented files only"
        if index % step:
            continue
        msg = msg[: bits // 4]  # Len = 0 is written as "Msg = 00"
        assert hashlib.new(python_name, bytes.fromhex(msg)).hexdigest() == md, (stem, index)
        cases.append({"id": f"{stem}/{index}", "op": "digest", "algorithm": algorithm,
                      "input_hex": msg, "expected_hex": md})
    return cases


def convert_cavp(src, out):
    ring = "briansmith/ring"
    orion = "orion-rs/orion"
    shavs = "cavp/third_party/NIST/SHAVS"
    sha3 = "tests/test_data/third_party/nist/SHA3"

    def subset_note(stems):
        notes = [f"{s} keeps every {LONG_MSG_STEP[s]}th case (index 0, {LONG_MSG_STEP[s]}, ...)"
                 for s in stems if s in LONG_MSG_STEP]
        return ("Subsets, to stay within the size budget: " + "; ".join(notes) + ". "
                "Case ids keep the index in the original file.") if notes else "No case was left out."

    common = ("NIST CAVP byte-oriented known-answer tests, converted one case per Len/Msg/MD "
              "entry; id = <file stem>/<0-based index in the .rsp file>. Len = 0 entries "
              "(written 'Msg = 00') have an empty input. Every expected value was re-checked "
              "with Python hashlib during conversion. NIST data: public domain (US government "
              "work). ")

    sets = [
        ("sha1-cavp", [("SHA1ShortMsg", "sha1"), ("SHA1LongMsg", "sha1")], ring, shavs),
        ("sha2-cavp", [(f"SHA{n}{k}Msg", f"sha{n}") for n in (224, 256, 384, 512)
                       for k in ("Short", "Long")], ring, shavs),
        ("sha3-cavp", [(f"SHA3_{n}{k}Msg", f"sha3-{n}") for n in (256, 512)
                       for k in ("Short", "Long")], orion, sha3),
    ]
    for name, files, repo, folder in sets:
        cases = []
        for stem, algorithm in files:
            path = src_path(src, repo, f"{folder}/{stem}.rsp")
            cases += cavp_cases(path, stem, algorithm, algorithm.replace("-", "_"))
        comment = (common + f"Source: the .rsp files as vendored in github.com/{repo} at commit "
                   f"{SOURCES[repo]}, folder {folder}/ (files: "
                   + ", ".join(f"{s}.rsp" for s, _ in files) + "). " + subset_note([s for s, _ in files]))
        write_set(out, name, comment, cases)


# --- BLAKE2 / BLAKE3 ------------------------------------------------------------------------

def convert_blake2(src, out):
    repo = "BLAKE2/BLAKE2"
    with open(src_path(src, repo, "testvectors/blake2-kat.json"), encoding="ascii") as f:
        kat = json.load(f)
    cases = []
    for entry in kat:
        algorithm = {"blake2b": "blake2b-512", "blake2s": "blake2s-256"}.get(entry["hash"])
        if algorithm is None or entry["key"] != "":
            continue
        data = bytes.fromhex(entry["in"])
        check = hashlib.blake2b(data) if entry["hash"] == "blake2b" else hashlib.blake2s(data)
        assert check.hexdigest() == entry["out"]
        cases.append({"id": f"{entry['hash']}/len={len(data)}", "op": "digest",
                      "algorithm": algorithm, "input_hex": entry["in"], "expected_hex": entry["out"]})
    comment = ("BLAKE2 reference known-answer tests: testvectors/blake2-kat.json of "
               f"github.com/BLAKE2/BLAKE2 at commit {SOURCES[repo]}. Kept: the unkeyed "
               "('key': '') blake2b (64-byte output) and blake2s (32-byte output) entries, "
               "inputs 00 01 02 ... of length 0..255. Left out: keyed entries and the "
               "blake2bp/blake2sp/blake2xb/blake2xs variants, which nearnative does not offer. "
               "Licence of the source: CC0 1.0 / OpenSSL / Apache 2.0, at your choice.")
    write_set(out, "blake2-kat", comment, cases)


def convert_blake3(src, out):
    repo = "BLAKE3-team/BLAKE3"
    with open(src_path(src, repo, "test_vectors/test_vectors.json"), encoding="ascii") as f:
        doc = json.load(f)
    cases = [{"id": f"blake3/input_len={c['input_len']}", "op": "digest", "algorithm": "blake3",
              "input_len": c["input_len"], "expected_hex": c["hash"][:64]} for c in doc["cases"]]
    comment = ("Official BLAKE3 test vectors: test_vectors/test_vectors.json of "
               f"github.com/BLAKE3-team/BLAKE3 at commit {SOURCES[repo]}. Input = bytes i % 251 "
               "for i in 0..input_len (the file's own convention, our 'input_len'); expected = "
               "the first 32 bytes of the extended 'hash' output, i.e. the default-length "
               "digest. Left out: the keyed_hash and derive_key outputs and the extended-output "
               "bytes beyond 32. Licence of the source: CC0 1.0 / Apache 2.0 / Apache 2.0 with "
               "LLVM exceptions, at your choice.")
    write_set(out, "blake3-official", comment, cases)


# --- RFC transcriptions ---------------------------------------------------------------------

def h(text):
    return bytes.fromhex("".join(text.split()))


RFC4231 = [
    # (case, key, data, {algorithm: expected})   RFC 4231 section 4.2 - 4.8
    (1, h("0b" * 20), b"Hi There", {
        "sha224": "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
        "sha256": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "sha384": "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                  "faea9ea9076ede7f4af152e8b2fa9cb6",
        "sha512": "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"}),
    (2, b"Jefe", b"what do ya want for nothing?", {
        "sha224": "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
        "sha256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "sha384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                  "8e2240ca5e69e2c78b3239ecfab21649",
        "sha512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"}),
    (3, h("aa" * 20), h("dd" * 50), {
        "sha224": "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
        "sha256": "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "sha384": "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
                  "2a5ab39dc13814b94e3ab6e101a34f27",
        "sha512": "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
                  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"}),
    (4, h("0102030405060708090a0b0c0d0e0f10111213141516171819"), h("cd" * 50), {
        "sha224": "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
        "sha256": "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        "sha384": "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
                  "6801dd23c4a7d679ccf8a386c674cffb",
        "sha512": "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
                  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"}),
    (5, h("0c" * 20), b"Test With Truncation", {
        "sha224": "0e2aea68a90c8d37c988bcdb9fca6fa8",
        "sha256": "a3b6167473100ee06e0c796c2955552b",
        "sha384": "3abf34c3503b2a23a46efc619baef897",
        "sha512": "415fad6271580a531d4179bc891d87a6"}),
    (6, h("aa" * 131), b"Test Using Larger Than Block-Size Key - Hash Key First", {
        "sha224": "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
        "sha256": "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "sha384": "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
                  "0c2ef6ab4030fe8296248df163f44952",
        "sha512": "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"}),
    (7, h("aa" * 131), b"This is a test using a larger than block-size key and a larger than "
                       b"block-size data. The key needs to be hashed before being used by the "
                       b"HMAC algorithm.", {
        "sha224": "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
        "sha256": "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        "sha384": "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
                  "a678cc31e799176d3860e6110c46523e",
        "sha512": "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
                  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"}),
]


def convert_hmac(out):
    cases = []
    for number, key, data, expected in RFC4231:
        for alg in ("sha224", "sha256", "sha384", "sha512"):
            want = expected[alg]
            got = hmac.new(key, data, alg).hexdigest()
            assert got[: len(want)] == want and (number == 5 or got == want), (number, alg)
            case = {"id": f"rfc4231/case{number}/hmac-{alg}", "op": "hmac",
                    "algorithm": f"hmac-{alg}", "key_hex": key.hex(), "input_hex": data.hex(),
                    "expected_hex": want}
            if number == 5:
                assert len(want) == 32
                case["truncate"] = 16
            cases.append(case)
    comment = ("RFC 4231 section 4 (test cases 1-7) for HMAC-SHA-224/256/384/512, transcribed "
               "from the RFC text and cross-checked with Python's hmac module. Case 5 is "
               "published truncated to 128 bits: 'truncate': 16 means compare only the first "
               "16 bytes of the MAC, and expected_hex holds just those 16 bytes. RFC text: IETF Trust, code components under the Revised BSD licence; "
               "test values are facts.")
    write_set(out, "hmac-rfc4231", comment, cases)


RFC5869 = [
    ("A.1", h("0b" * 22), h("000102030405060708090a0b0c"), h("f0f1f2f3f4f5f6f7f8f9"), 42,
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
    ("A.2", bytes(range(0x00, 0x50)), bytes(range(0x60, 0xb0)), bytes(range(0xb0, 0x100)), 82,
     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
     "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
     "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
    ("A.3", h("0b" * 22), b"", b"", 42,
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
]


def py_hkdf(ikm, salt, info, length):
    prk = hmac.new(salt or bytes(32), ikm, "sha256").digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), "sha256").digest()
        okm += block
        counter += 1
    return okm[:length]


def convert_hkdf(out):
    cases = []
    for name, ikm, salt, info, length, okm in RFC5869:
        assert py_hkdf(ikm, salt, info, length).hex() == okm, name
        cases.append({"id": f"rfc5869/{name}", "op": "hkdf", "algorithm": "hmac-sha256",
                      "ikm_hex": ikm.hex(), "salt_hex": salt.hex(), "info_hex": info.hex(),
                      "length": length, "expected_hex": okm})
    comment = ("RFC 5869 appendix A.1-A.3 (the HKDF-SHA-256 cases), transcribed from the RFC "
               "and cross-checked with a small HKDF written on Python's hmac module. A.3 has "
               "an empty salt, which HKDF treats as HashLen zero bytes. The SHA-1 cases "
               "A.4-A.7 are left out (nearnative offers HKDF over SHA-2 only).")
    write_set(out, "hkdf-rfc5869", comment, cases)


RFC7914_PBKDF2 = [
    ("P=passwd,S=salt,c=1", b"passwd", b"salt", 1, 64,
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
     "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
    ("P=Password,S=NaCl,c=80000", b"Password", b"NaCl", 80000, 64,
     "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
     "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
]


def convert_pbkdf2(out):
    cases = []
    for name, password, salt, rounds, length, expected in RFC7914_PBKDF2:
        assert hashlib.pbkdf2_hmac("sha256", password, salt, rounds, length).hex() == expected
        cases.append({"id": f"rfc7914/{name}", "op": "pbkdf2", "password_hex": password.hex(),
                      "salt_hex": salt.hex(), "rounds": rounds, "length": length,
                      "expected_hex": expected})
    comment = ("RFC 7914 section 11, the two PBKDF2-HMAC-SHA-256 vectors, transcribed from the "
               "RFC and cross-checked with Python's hashlib.pbkdf2_hmac.")
    write_set(out, "pbkdf2-rfc7914", comment, cases)


def convert_argon2(out):
    case = {"id": "rfc9106/5.3-argon2id", "op": "argon2id", "password_hex": "01" * 32,
            "salt_hex": "02" * 16, "secret_hex": "03" * 8, "ad_hex": "04" * 12,
            "memory_kib": 32, "iterations": 3, "parallelism": 4, "length": 32,
            "expected_hex": "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"}
    comment = ("RFC 9106 section 5.3, the Argon2id (version 0x13) test vector, transcribed from "
               "the RFC: memory 32 KiB, 3 passes, 4 lanes, 32-byte tag, password 32 x 01, salt "
               "16 x 02, secret 8 x 03, associated data 12 x 04. The Argon2d and Argon2i "
               "vectors of 5.1/5.2 are left out (nearnative offers Argon2id only). Not "
               "cross-checked: Python's standard library has no Argon2.")
    write_set(out, "argon2-rfc9106", comment, [case])


def rfc_dump(text):
    """Hex bytes from an RFC 8439 hex dump ('000  4c 61 ...  Ladies...')."""
    out = []
    for line in text.strip().splitlines():
        parts = line.split()
        for token in parts[1:]:
            if len(token) == 2 and all(c in "0123456789abcdef" for c in token):
                out.append(token)
            else:
                break
    return "".join(out)


def convert_aead_rfc8439(out):
    # Section 2.8.2.
    plaintext = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one "
                 b"tip for the future, sunscreen would be it.")
    c1 = {
        "id": "rfc8439/2.8.2", "op": "aead", "algorithm": "chacha20-poly1305",
        "key_hex": bytes(range(0x80, 0xa0)).hex(),
        "nonce_hex": "07000000" + "4041424344454647",
        "aad_hex": "50515253c0c1c2c3c4c5c6c7",
        "plaintext_hex": plaintext.hex(),
        "sealed_hex": (
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            "3ff4def08e4b7a9de576d26586cec64b6116"
            + "1ae10b594f09e26a7e902ecbd0600691"),
        "valid": True,
    }
    assert len(bytes.fromhex(c1["sealed_hex"])) == len(plaintext) + 16
    # Appendix A.5.
    a5_ct = rfc_dump("""
  000  64 a0 86 15 75 86 1a f4 60 f0 62 c7 9b e6 43 bd  d...u...`.b...C.
  016  5e 80 5c fd 34 5c f3 89 f1 08 67 0a c7 6c 8c b2  ^.\\.4\\....g..l..
  032  4c 6c fc 18 75 5d 43 ee a0 9e e9 4e 38 2d 26 b0  Ll..u]C....N8-&.
  048  bd b7 b7 3c 32 1b 01 00 d4 f0 3b 7f 35 58 94 cf  ...<2.....;.5X..
  064  33 2f 83 0e 71 0b 97 ce 98 c8 a8 4a bd 0b 94 81  3/..q......J....
  080  14 ad 17 6e 00 8d 33 bd 60 f9 82 b1 ff 37 c8 55  ...n..3.`....7.U
  096  97 97 a0 6e f4 f0 ef 61 c1 86 32 4e 2b 35 06 38  ...n...a..2N+5.8
  112  36 06 90 7b 6a 7c 02 b0 f9 f6 15 7b 53 c8 67 e4  6..{j|.....{S.g.
  128  b9 16 6c 76 7b 80 4d 46 a5 9b 52 16 cd e7 a4 e9  ..lv{.MF..R.....
  144  90 40 c5 a4 04 33 22 5e e2 82 a1 b0 a0 6c 52 3e  .@...3"^.....lR>
  160  af 45 34 d7 f8 3f a1 15 5b 00 47 71 8c bc 54 6a  .E4..?..[.Gq..Tj
  176  0d 07 2b 04 b3 56 4e ea 1b 42 22 73 f5 48 27 1a  ..+..VN..B"s.H'.
  192  0b b2 31 60 53 fa 76 99 19 55 eb d6 31 59 43 4e  ..1`S.v..U..1YCN
  208  ce bb 4e 46 6d ae 5a 10 73 a6 72 76 27 09 7a 10  ..NFm.Z.s.rv'.z.
  224  49 e6 17 d9 1d 36 10 94 fa 68 f0 ff 77 98 71 30  I....6...h..w.q0
  240  30 5b ea ba 2e da 04 df 99 7b 71 4d 6c 6f 2c 29  0[.......{qMlo,)
  256  a6 ad 5c b4 02 2b 02 70 9b                       ..\\..+.p.
""")
    a5_pt = rfc_dump("""
  000  49 6e 74 65 72 6e 65 74 2d 44 72 61 66 74 73 20  Internet-Drafts
  016  61 72 65 20 64 72 61 66 74 20 64 6f 63 75 6d 65  are draft docume
  032  6e 74 73 20 76 61 6c 69 64 20 66 6f 72 20 61 20  nts valid for a
  048  6d 61 78 69 6d 75 6d 20 6f 66 20 73 69 78 20 6d  maximum of six m
  064  6f 6e 74 68 73 20 61 6e 64 20 6d 61 79 20 62 65  onths and may be
  080  20 75 70 64 61 74 65 64 2c 20 72 65 70 6c 61 63   updated, replac
  096  65 64 2c 20 6f 72 20 6f 62 73 6f 6c 65 74 65 64  ed, or obsoleted
  112  20 62 79 20 6f 74 68 65 72 20 64 6f 63 75 6d 65   by other docume
  128  6e 74 73 20 61 74 20 61 6e 79 20 74 69 6d 65 2e  nts at any time.
  144  20 49 74 20 69 73 20 69 6e 61 70 70 72 6f 70 72   It is inappropr
  160  69 61 74 65 20 74 6f 20 75 73 65 20 49 6e 74 65  iate to use Inte
  176  72 6e 65 74 2d 44 72 61 66 74 73 20 61 73 20 72  rnet-Drafts as r
  192  65 66 65 72 65 6e 63 65 20 6d 61 74 65 72 69 61  eference materia
  208  6c 20 6f 72 20 74 6f 20 63 69 74 65 20 74 68 65  l or to cite the
  224  6d 20 6f 74 68 65 72 20 74 68 61 6e 20 61 73 20  m other than as
  240  2f e2 80 9c 77 6f 72 6b 20 69 6e 20 70 72 6f 67  /...work in prog
  256  72 65 73 73 2e 2f e2 80 9d                       ress./...
""")
    assert len(a5_ct) == len(a5_pt) == 265 * 2
    assert bytes.fromhex(a5_pt).decode("utf-8").startswith("Internet-Drafts are draft")
    c2 = {
        "id": "rfc8439/A.5", "op": "aead", "algorithm": "chacha20-poly1305",
        "key_hex": "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
        "nonce_hex": "000000000102030405060708",
        "aad_hex": "f33388860000000000004e91",
        "plaintext_hex": a5_pt,
        "sealed_hex": a5_ct + "eead9d67890cbb22392336fea1851f38",
        "valid": True,
    }
    comment = ("RFC 8439 ChaCha20-Poly1305 AEAD vectors, transcribed from the RFC text: section "
               "2.8.2 (nonce = the 32-bit fixed-common part 07 00 00 00 followed by the 64-bit "
               "IV 40..47) and appendix A.5 (the decryption example; its plaintext is the one "
               "the RFC shows after decrypting). sealed_hex = ciphertext || tag. Not "
               "cross-checked here (Python's standard library has no ChaCha20-Poly1305); the "
               "2.8.2 case is also Wycheproof chacha20_poly1305_test tcId 1.")
    write_set(out, "aead-rfc8439", comment, [c1, c2])


# --- Wycheproof -----------------------------------------------------------------------------

def convert_wycheproof(src, out):
    repo = "C2SP/wycheproof"
    files = [
        ("aes_gcm_test", "aes-256-gcm", 96),
        ("chacha20_poly1305_test", "chacha20-poly1305", 96),
        ("xchacha20_poly1305_test", "xchacha20-poly1305", 192),
    ]
    cases = []
    counts = []
    for stem, algorithm, iv_bits in files:
        with open(src_path(src, repo, f"testvectors_v1/{stem}.json"), encoding="ascii") as f:
            doc = json.load(f)
        kept = dropped = 0
        for group in doc["testGroups"]:
            ok = group["keySize"] == 256 and group["ivSize"] == iv_bits and group["tagSize"] == 128
            for t in group["tests"]:
                if not ok:
                    dropped += 1
                    continue
                assert t["result"] in ("valid", "invalid"), t
                comment = t.get("comment", "")
                flags = t.get("flags", [])
                case = {"id": f"{stem}/tcId={t['tcId']}", "op": "aead", "algorithm": algorithm,
                        "key_hex": t["key"], "nonce_hex": t["iv"], "aad_hex": t["aad"],
                        "plaintext_hex": t["msg"], "sealed_hex": t["ct"] + t["tag"],
                        "valid": t["result"] == "valid"}
                if comment or flags:
                    case["comment"] = "; ".join(x for x in [comment, ",".join(flags)] if x)
                cases.append(case)
                kept += 1
        counts.append(f"{stem}.json: kept {kept}, dropped {dropped}")
    comment = ("Project Wycheproof AEAD vectors (Apache License 2.0): testvectors_v1/"
               "aes_gcm_test.json, chacha20_poly1305_test.json and xchacha20_poly1305_test.json "
               f"of github.com/C2SP/wycheproof at commit {SOURCES[repo]}. Kept: test groups with "
               "a 256-bit key, a 128-bit tag and the algorithm's standard nonce (96 bits for "
               "AES-GCM and ChaCha20-Poly1305, 192 bits for XChaCha20-Poly1305), both 'valid' "
               "and 'invalid' results. Dropped: other key sizes, and every group with another "
               "nonce size (nearnative's AEAD API takes only the standard nonce and refuses "
               "others with invalid_input before any authentication, so those 'invalid' cases "
               "test argument checking, not the AEAD). id = <file stem>/tcId=<n>; 'comment' "
               "joins Wycheproof's comment and flags. " + "; ".join(counts) + ".")
    write_set(out, "aead-wycheproof", comment, cases)


# --- age testkit (C2SP/CCTV) ----------------------------------------------------------------

def convert_age(src, out):
    repo = "C2SP/CCTV"
    folder = src_path(src, repo, "age/testdata")
    small, stream, skipped = [], [], []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            raw = f.read()
        header, sep, body = raw.partition(b"\n\n")
        assert sep, name
        fields = {}
        for line in header.decode("utf-8").split("\n"):
            key, _, value = line.partition(": ")
            fields.setdefault(key, []).append(value)
        known = {"expect", "payload", "file key", "identity", "passphrase", "armored",
                 "compressed", "comment"}
        unknown = set(fields) - known
        if unknown:
            skipped.append(f"{name} (unknown header keys {sorted(unknown)})")
            continue
        if fields.get("compressed") == ["zlib"]:
            body = zlib.decompress(body)
        identities = fields.get("identity", [])
        passphrases = fields.get("passphrase", [])
        if any(not i.startswith("AGE-SECRET-KEY-1") for i in identities):
            skipped.append(f"{name} (needs a non-X25519 identity)")
            continue
        work = [line.split()[-1] for line in body.split(b"\n")[:8]
                if line.startswith(b"-> scrypt ")]
        # Skip work factors that are valid numbers but slow (every implementation must
        # still parse them); keep values too large for any work factor (a parser test).
        if any(w.isdigit() and AGE_MAX_SCRYPT_WORK_FACTOR < int(w) < 64 for w in work):
            skipped.append(f"{name} (scrypt work factor {work[0].decode()})")
            continue
        if len(body) > AGE_MAX_FILE_BYTES:
            skipped.append(f"{name} ({len(body)} bytes decompressed)")
            continue
        case = {"id": f"age/{name}", "op": "age_decrypt", "identities": identities,
                "passphrase": passphrases[0] if passphrases else None,
                "file_base64": base64.b64encode(body).decode("ascii"),
                "expect": fields["expect"][0]}
        if "payload" in fields:
            case["payload_sha256"] = fields["payload"][0]
        if len(passphrases) > 1:
            case["extra_passphrases"] = passphrases[1:]
        if "armored" in fields:
            case["armored"] = fields["armored"][0] == "yes"
        if "comment" in fields:
            case["comment"] = fields["comment"][0]
        (stream if len(body) >= AGE_STREAM_SET_MIN_BYTES else small).append(case)

    hybrid = [s for s in skipped if "non-X25519" in s]
    other = [s for s in skipped if "non-X25519" not in s]
    base = ("age file-format test vectors from the age testkit (Zero-Clause BSD / CC0 1.0 / "
            "Unlicense, at your choice): age/testdata/* of github.com/C2SP/CCTV at commit "
            f"{SOURCES[repo]}. Each testkit file is a text header, a blank line, then the age "
            "file; file_base64 is that age file (zlib-decompressed where the header said "
            "'compressed: zlib'). expect is the testkit's 'expect' verbatim (success, no match, "
            "HMAC failure, header failure, payload failure, armor failure). payload_sha256 is "
            "the testkit's 'payload': for success the SHA-256 of the whole plaintext; for "
            "payload failure the SHA-256 of what a streaming decrypter may release before the "
            "error. identities are the 'identity' lines; passphrase is the first 'passphrase' "
            "line (scrypt_double has two: the second is in extra_passphrases); 'file key' is "
            "dropped. A runner passes a passphrase when there is one, else the identities "
            "(possibly none). ")
    skipped_text = ("Skipped: " + str(len(hybrid)) + " cases that need an ML-KEM-768+X25519 "
                    "hybrid identity (AGE-SECRET-KEY-PQ-1...), which nearnative does not "
                    "support (" + ", ".join(s.split(" ")[0] for s in hybrid) + "); " +
                    "; ".join(other) + ".")
    parts = [[]]
    for case in stream:
        if parts[-1] and sum(len(c["file_base64"]) for c in parts[-1] + [case]) > AGE_PART_BYTES:
            parts.append([])
        parts[-1].append(case)
    names = [f"age-testkit-stream-{i + 1}" for i in range(len(parts))]
    write_set(out, "age-testkit", base + "This set: every kept case whose age file is under "
              f"{AGE_STREAM_SET_MIN_BYTES} bytes; the larger ones (multi-chunk STREAM "
              "payloads) are in " + ", ".join(names) + ". " + skipped_text, small)
    for name, part in zip(names, parts):
        write_set(out, name, base + f"This set: part of the kept cases whose age file is "
                  f"{AGE_STREAM_SET_MIN_BYTES} bytes or more (multi-chunk STREAM payloads), "
                  "split from age-testkit to keep each vector file small; the others are in "
                  + ", ".join(n for n in names if n != name) + ". " + skipped_text, part)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    convert_cavp(src, out)
    convert_blake2(src, out)
    convert_blake3(src, out)
    convert_hmac(out)
    convert_hkdf(out)
    convert_pbkdf2(out)
    convert_argon2(out)
    convert_aead_rfc8439(out)
    convert_wycheproof(src, out)
    convert_age(src, out)


if __name__ == "__main__":
    main()

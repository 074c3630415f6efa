#!/usr/bin/env python3
"""Writes the image-domain vectors in this folder: input files and `cases.json`.

Run from the repository root, after `cargo xtask setup` (it installs Pillow, pypng and numpy
into target/tools/python):

    PYTHONPATH=target/tools/python python3 tests/vectors/image/generate.py

then re-bless the pipeline jobs' output hashes on the reference host (the native build):

    NEARNATIVE_BLESS=1 cargo test -p nearnative-image --test vectors

Everything is deterministic (fixed seeds); running it twice gives the same bytes. Expected
values come from independent code, never from nearnative:
- PNG: files written by pypng (a pure-Python encoder); the expected RGBA8 pixels are computed
  here with numpy from the source samples by the documented rule (16-bit → 8-bit by
  (v + 128) // 257, low bit depths scaled to 0..255, grey → r = g = b, tRNS key → alpha 0,
  palette → its RGB(A)).
- JPEG, lossy WebP: pixels decoded by Pillow (libjpeg-turbo, libwebp), stored zlib-compressed.
- resize: Pillow's resize of an RGB image, stored zlib-compressed.
- GIF, BMP, lossless WebP: written by Pillow; expected pixels from the source arrays.
- QOI: written by the small encoder below (the spec at qoiformat.org); expected from the source.
- jobs: the query and the expected output size; the output hash is blessed from the native build.
"""

import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
import png  # pypng
from PIL import Image, ImageCms, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return rel


def sha(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def rgba_of(arr):
    """RGBA8 bytes of an (h, w, 4) uint8 array."""
    assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 4
    return arr.tobytes()


def exact(id_, rel, rgba, note=""):
    h, w = rgba.shape[:2]
    CASES.append({"id": id_, "kind": "decode_exact", "file": rel, "width": w, "height": h,
                  "rgba_sha256": sha(rgba_of(rgba)), "note": note})


def close(id_, rel, reference, tolerance, note=""):
    """`reference`: (h, w, 4) uint8, stored zlib-compressed beside the file."""
    h, w = reference.shape[:2]
    ref_rel = write(rel + ".rgba.zz", zlib.compress(rgba_of(reference), 9))
    CASES.append({"id": id_, "kind": "decode_close", "file": rel, "width": w, "height": h,
                  "reference": ref_rel, "tolerance": tolerance, "note": note})


def to_rgba(arr):
    """uint8 (h, w, 1|3|4) or (h, w) to RGBA8."""
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    out = np.full((h, w, 4), 255, np.uint8)
    if c in (1, 2):
        out[:, :, 0] = out[:, :, 1] = out[:, :, 2] = arr[:, :, 0]
        if c == 2:
            out[:, :, 3] = arr[:, :, 1]
    else:
        out[:, :, :3] = arr[:, :, :3]
        if c == 4:
            out[:, :, 3] = arr[:, :, 3]
    return out


def to8(samples, depth):
    """Samples of `depth` bits to 8 bits: 16 → (v + 128) // 257, 1/2/4 → v * 255 / max."""
    samples = samples.astype(np.int64)
    if depth == 16:
        return ((samples + 128) // 257).astype(np.uint8)
    if depth == 8:
        return samples.astype(np.uint8)
    return (samples * 255 // ((1 << depth) - 1)).astype(np.uint8)


# ---------------------------------------------------------------- PNG (pypng)

def png_bytes(rows, width, height, **kw):
    if "palette" not in kw:
        kw.setdefault("greyscale", False)
    buf = io.BytesIO()
    png.Writer(width, height, **kw).write(buf, rows)
    return buf.getvalue()


def png_cases():
    rng = np.random.RandomState(20261125)
    sizes = [(1, 1), (2, 3), (7, 5), (8, 8), (13, 1), (1, 9), (16, 16), (33, 17)]
    n = 0
    for interlace in (False, True):
        for (w, h) in sizes:
            tag = f"{w}x{h}{'-i' if interlace else ''}"
            # Greyscale, every bit depth.
            for depth in (1, 2, 4, 8, 16):
                src = rng.randint(0, 1 << depth, size=(h, w))
                data = png_bytes(src.tolist(), w, h, greyscale=True, bitdepth=depth, interlace=interlace)
                exact(f"png-g{depth}-{tag}", write(f"png/g{depth}-{tag}.png", data), to_rgba(to8(src, depth)))
            # Grey with a tRNS key (8 and 16 bit): the key pixels become transparent.
            for depth in (8, 16):
                src = rng.randint(0, 1 << depth, size=(h, w))
                key = int(src[h // 2, w // 2])
                data = png_bytes(src.tolist(), w, h, greyscale=True, bitdepth=depth, interlace=interlace,
                                 transparent=key)
                want = to_rgba(to8(src, depth))
                want[:, :, 3] = np.where(src == key, 0, 255)
                exact(f"png-g{depth}trns-{tag}", write(f"png/g{depth}trns-{tag}.png", data), want)
            # Grey + alpha.
            for depth in (8, 16):
                src = rng.randint(0, 1 << depth, size=(h, w, 2))
                data = png_bytes(src.reshape(h, w * 2).tolist(), w, h, greyscale=True, alpha=True, bitdepth=depth,
                                 interlace=interlace)
                exact(f"png-ga{depth}-{tag}", write(f"png/ga{depth}-{tag}.png", data), to_rgba(to8(src, depth)))
            # RGB, RGBA, RGB with a tRNS key.
            for depth in (8, 16):
                src = rng.randint(0, 1 << depth, size=(h, w, 3))
                data = png_bytes(src.reshape(h, w * 3).tolist(), w, h, bitdepth=depth, interlace=interlace)
                exact(f"png-rgb{depth}-{tag}", write(f"png/rgb{depth}-{tag}.png", data), to_rgba(to8(src, depth)))
                src = rng.randint(0, 1 << depth, size=(h, w, 4))
                data = png_bytes(src.reshape(h, w * 4).tolist(), w, h, alpha=True, bitdepth=depth,
                                 interlace=interlace)
                exact(f"png-rgba{depth}-{tag}", write(f"png/rgba{depth}-{tag}.png", data), to_rgba(to8(src, depth)))
                # Few distinct colours, so the key colour occurs several times.
                src = rng.randint(0, 2, size=(h, w, 3)) * ((1 << depth) - 1)
                key = tuple(int(v) for v in src[0, 0])
                data = png_bytes(src.reshape(h, w * 3).tolist(), w, h, bitdepth=depth, interlace=interlace,
                                 transparent=key)
                want = to_rgba(to8(src, depth))
                want[:, :, 3] = np.where(np.all(src == np.array(key), axis=2), 0, 255)
                exact(f"png-rgb{depth}trns-{tag}", write(f"png/rgb{depth}trns-{tag}.png", data), want)
            # Palette, every index depth, without and with alpha entries (tRNS).
            for depth in (1, 2, 4, 8):
                count = min(1 << depth, 200)
                for with_alpha in (False, True):
                    entries = rng.randint(0, 256, size=(count, 4 if with_alpha else 3))
                    palette = [tuple(int(v) for v in e) for e in entries]
                    idx = rng.randint(0, count, size=(h, w))
                    data = png_bytes(idx.tolist(), w, h, palette=palette, bitdepth=depth, interlace=interlace)
                    want = to_rgba(entries.astype(np.uint8)[idx])
                    name = f"p{depth}{'trns' if with_alpha else ''}-{tag}"
                    exact(f"png-{name}", write(f"png/{name}.png", data), want)
            n += 1


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_corrupt_cases():
    good = png_bytes([[i * 8 + j for j in range(8)] for i in range(8)], 8, 8, greyscale=True, bitdepth=8)
    sig = good[:8]

    def err(id_, data, code, note):
        CASES.append({"id": id_, "kind": "decode_error", "file": write(f"corrupt/{id_}.png", data), "code": code,
                      "note": note})

    # The IDAT chunk's CRC with one bit flipped.
    i = good.index(b"IDAT")
    length = struct.unpack(">I", good[i - 4:i])[0]
    crc_at = i + 4 + length
    bad = bytearray(good)
    bad[crc_at] ^= 0x01
    err("png-bad-crc", bytes(bad), "invalid_input", "IDAT CRC wrong in one bit")
    err("png-truncated", good[:crc_at - 6], "invalid_input", "cut inside IDAT")
    err("png-only-signature", sig, "invalid_input", "signature and nothing else")
    ihdr = lambda w, h: chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 9))
    iend = chunk(b"IEND", b"")
    err("png-zero-width", sig + ihdr(0, 1) + idat + iend, "invalid_input", "IHDR width 0, valid CRC")
    err("png-huge", sig + ihdr(100000, 100000) + idat + iend, "limit_exceeded",
        "IHDR 100000x100000 (10 gigapixels), valid CRCs, tiny IDAT")
    # Found by fuzz/decode: png 0.18.1 panicked on a PLTE of 49 bytes (not whole RGB entries)
    # next to a tRNS chunk; codec::probe now refuses it first.
    p1 = sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 13, 1, 4, 3, 0, 0, 1))
    p1 += chunk(b"PLTE", bytes(range(49))) + chunk(b"tRNS", bytes(range(16)))
    p1 += chunk(b"IDAT", zlib.compress(b"\x00" * 7 * 7)) + iend
    err("png-plte-49-bytes-trns", p1, "invalid_input", "PLTE of 49 bytes with tRNS (interlaced 13x1, 4-bit)")
    p2 = sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 3, 0, 0, 0))
    p2 += chunk(b"PLTE", bytes(range(256)) * 4) + chunk(b"IDAT", zlib.compress(b"\x00" * 5 * 4)) + iend
    err("png-plte-too-long", p2, "invalid_input", "PLTE of 1024 bytes (over 256 entries)")
    # zlib's Adler-32 wrong, every chunk CRC right: libpng and Pillow refuse it; the png crate
    # skips the check unless asked.
    raw = bytes(b for i in range(8) for b in [0] + [i * 8 + j for j in range(8)])
    stream = zlib.compress(raw)
    stream = stream[:-4] + bytes(x ^ 0x5A for x in stream[-4:])
    err("png-bad-adler32", sig + ihdr(8, 8) + chunk(b"IDAT", stream) + iend, "invalid_input",
        "zlib checksum wrong, chunk CRCs right")
    ihdr_interlaced = chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 1))
    passes = [(0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2)]
    raw = b"".join(b"\x00" + bytes(range(len(range(x0, 8, dx)))) for x0, dx, y0, dy in passes
                   for _ in range(y0, 8, dy) if len(range(x0, 8, dx)))
    stream = zlib.compress(raw)
    stream = stream[:-4] + bytes(x ^ 0x5A for x in stream[-4:])
    err("png-bad-adler32-interlaced", sig + ihdr_interlaced + chunk(b"IDAT", stream) + iend, "invalid_input",
        "Adam7, zlib checksum wrong, chunk CRCs right")
    CASES.append({"id": "not-an-image", "kind": "decode_error", "file": write("corrupt/not-an-image.txt",
                 b"hello, this is text\n"), "code": "unsupported", "note": "no known signature"})
    CASES.append({"id": "empty", "kind": "decode_error", "file": write("corrupt/empty.bin", b""),
                  "code": "invalid_input", "note": "zero bytes"})


# ---------------------------------------------------------------- photo-like sources

def photo(w, h, seed, noise=True):
    """A smooth, photo-like RGB image: gradients, soft blobs, a few edges and mild noise."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        img[:, :, c] = 80 + 60 * np.sin(x / w * (2 + c) * np.pi + c) * np.cos(y / h * (1.5 + c) * np.pi)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(min(w, h) / 10, min(w, h) / 3)
        colour = rng.uniform(-90, 120, size=3)
        d = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        img += d[:, :, None] * colour
    # A hard-edged bar and a disc, for ringing at edges.
    img[h // 3:h // 3 + max(2, h // 12), w // 8:w - w // 8] = [230, 220, 40]
    disc = (x - 0.7 * w) ** 2 + (y - 0.65 * h) ** 2 < (min(w, h) / 7) ** 2
    img[disc] = [20, 40, 160]
    if noise:
        img += rng.normal(0, 3, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def pil_rgba(im):
    return np.asarray(im.convert("RGBA"), dtype=np.uint8)


def vp8l_two_greens(width, height, rba, greens):
    """A lossless WebP bitstream by hand: no transforms, no colour cache, one prefix code group
    of simple codes (red, blue, alpha, distance one symbol each, so zero bits; green two symbols,
    one bit per pixel), pixel i taking greens[(i * 7 + i // 5) % 2]."""
    bits = []

    def put(value, count):
        bits.extend((value >> i) & 1 for i in range(count))

    put(width - 1, 14), put(height - 1, 14), put(int(rba[2] != 255), 1), put(0, 3)
    put(0, 1), put(0, 1), put(0, 1)  # no transform, no colour cache, no meta prefix codes
    put(1, 1), put(1, 1), put(1, 1), put(greens[0], 8), put(greens[1], 8)  # green: two 8-bit symbols
    for symbol in (rba[0], rba[1], rba[2], 0):  # red, blue, alpha, distance: one 8-bit symbol
        put(1, 1), put(0, 1), put(1, 1), put(symbol, 8)
    for i in range(width * height):
        put((i * 7 + i // 5) % 2, 1)
    bits.extend([0] * (-len(bits) % 8))
    data = b"\x2f" + bytes(sum(b << i for i, b in enumerate(bits[k:k + 8])) for k in range(0, len(bits), 8))
    padded = data + b"\0" * (len(data) % 2)
    return b"RIFF" + struct.pack("<I", 12 + len(padded)) + b"WEBPVP8L" + struct.pack("<I", len(data)) + padded


# ---------------------------------------------------------------- JPEG

JPEG_CASE_IDS = ["jpeg-" + n for n in (
    "baseline-444", "baseline-420", "baseline-422", "odd-420", "progressive-444", "progressive-420", "grey", "cmyk",
    "exif-orientation-6", "restart-420", "progressive-restart-420", "rgb", "progressive-grey", "optimized-huffman")]


def jpeg_cases():
    src = Image.fromarray(photo(96, 64, 1), "RGB")
    odd = Image.fromarray(photo(53, 37, 2), "RGB")

    def save(im, **kw):
        buf = io.BytesIO()
        im.save(buf, "JPEG", **kw)
        return buf.getvalue()

    def case(id_, data, tolerance, note, transpose=False):
        rel = write(f"jpeg/{id_}.jpg", data)
        decoded = Image.open(io.BytesIO(data))
        if transpose:
            decoded = ImageOps.exif_transpose(decoded)
        close(f"jpeg-{id_}", rel, pil_rgba(decoded), tolerance, note)

    t = {id_: TOLERANCES["jpeg"] for id_ in JPEG_CASE_IDS}
    case("baseline-444", save(src, quality=90, subsampling=0), t["jpeg-baseline-444"], "4:4:4, quality 90")
    case("baseline-420", save(src, quality=90, subsampling=2), t["jpeg-baseline-420"], "4:2:0, quality 90")
    case("baseline-422", save(src, quality=85, subsampling=1), t["jpeg-baseline-422"], "4:2:2, quality 85")
    case("odd-420", save(odd, quality=75, subsampling=2), t["jpeg-odd-420"], "53x37, 4:2:0, partial MCUs")
    case("progressive-444", save(src, quality=90, subsampling=0, progressive=True), t["jpeg-progressive-444"],
         "progressive, 4:4:4")
    case("progressive-420", save(src, quality=80, subsampling=2, progressive=True), t["jpeg-progressive-420"],
         "progressive, 4:2:0")
    case("grey", save(src.convert("L"), quality=90), t["jpeg-grey"], "greyscale")
    case("cmyk", save(src.convert("CMYK"), quality=90), t["jpeg-cmyk"],
         "Adobe CMYK (inverted), reference = Pillow's CMYK to RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    case("exif-orientation-6", save(src, quality=90, subsampling=0, exif=exif.tobytes()),
         t["jpeg-exif-orientation-6"], "EXIF orientation 6: reference = ImageOps.exif_transpose", transpose=True)
    case("restart-420", save(odd, quality=85, subsampling=2, restart_marker_blocks=3), t["jpeg-restart-420"],
         "restart markers every 3 MCUs, 4:2:0")
    case("progressive-restart-420", save(odd, quality=85, subsampling=2, progressive=True, restart_marker_blocks=5),
         t["jpeg-progressive-restart-420"], "progressive with restart markers (end-of-band runs reset)")
    case("rgb", save(odd, quality=90, keep_rgb=True), t["jpeg-rgb"], "RGB components (Adobe transform 0), no YCbCr")
    case("progressive-grey", save(odd.convert("L"), quality=70, progressive=True), t["jpeg-progressive-grey"],
         "progressive greyscale")
    case("optimized-huffman", save(src, quality=60, optimize=True), t["jpeg-optimized-huffman"],
         "optimised Huffman tables, quality 60")
    truncated = save(src, quality=90)
    CASES.append({"id": "jpeg-truncated-header", "kind": "decode_error",
                  "file": write("corrupt/jpeg-truncated-header.jpg", truncated[:40]), "code": "invalid_input",
                  "note": "cut inside the header segments"})


# Measured with `NEARNATIVE_MEASURE=1 cargo test -p nearnative-image --test vectors -- --nocapture`
# and written here by hand; see tests/vectors/README.md for what each number means.
TOLERANCES = {
    # Our JPEG decoder reproduces libjpeg-turbo's arithmetic (ISLOW IDCT, fancy upsampling,
    # its YCbCr tables): every JPEG case matches Pillow exactly, so it must stay exact.
    "jpeg": 0,
    # image-webp's lossy decode matched libwebp exactly here.
    "webp-lossy": 0,
}
# Pillow's resize against ours: the bar each filter must reach (dB), set a little below what
# we measured, never below 35.
# Measured 54.9-56.8 dB for the convolution filters; nearest matched exactly (PSNR infinite), so
# it must stay exact.
PSNR_BARS = {"lanczos3": 50.0, "bicubic": 50.0, "bilinear": 50.0, "nearest": None}


# ---------------------------------------------------------------- resize vs Pillow

def resize_cases():
    sources = {"photo-96x64": photo(96, 64, 3), "photo-61x47": photo(61, 47, 4)}
    filters = {"lanczos3": Image.LANCZOS, "bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR,
               "nearest": Image.NEAREST}
    targets = {"photo-96x64": [(48, 32), (37, 29), (160, 100)], "photo-61x47": [(30, 23), (100, 77)]}
    for name, arr in sources.items():
        src_rel = write(f"resize/{name}.png", png_bytes(arr.reshape(arr.shape[0], -1).tolist(), arr.shape[1],
                                                         arr.shape[0], bitdepth=8))
        im = Image.fromarray(arr, "RGB")
        for (w, h) in targets[name]:
            for fname, f in filters.items():
                out = pil_rgba(im.resize((w, h), f))
                ref = write(f"resize/{name}-{w}x{h}-{fname}.rgba.zz", zlib.compress(rgba_of(out), 9))
                CASES.append({"id": f"resize-{name}-{w}x{h}-{fname}", "kind": "resize", "file": src_rel,
                              "width": w, "height": h, "filter": fname, "reference": ref,
                              "min_psnr": PSNR_BARS[fname], "exact": PSNR_BARS[fname] is None,
                              "note": "fit=fill, RGB (no alpha), Pillow reference"})


# ---------------------------------------------------------------- WebP, GIF, BMP, QOI

def qoi_encode(rgba, channels):
    """QOI per the specification (qoiformat.org/qoi-specification.pdf), every op used."""
    h, w = rgba.shape[:2]
    out = bytearray(b"qoif" + struct.pack(">IIBB", w, h, channels, 0))
    index = [(0, 0, 0, 0)] * 64
    prev = (0, 0, 0, 255)
    run = 0
    px_list = [tuple(int(v) for v in p) for p in rgba.reshape(-1, 4)]
    for i, px in enumerate(px_list):
        if px == prev:
            run += 1
            if run == 62 or i == len(px_list) - 1:
                out.append(0xC0 | (run - 1))
                run = 0
            continue
        if run:
            out.append(0xC0 | (run - 1))
            run = 0
        r, g, b, a = px
        pos = (r * 3 + g * 5 + b * 7 + a * 11) % 64
        if index[pos] == px:
            out.append(pos)
        else:
            index[pos] = px
            if a == prev[3]:
                dr, dg, db = (r - prev[0] + 128) % 256 - 128, (g - prev[1] + 128) % 256 - 128, \
                    (b - prev[2] + 128) % 256 - 128
                dr_dg, db_dg = dr - dg, db - dg
                if -2 <= dr <= 1 and -2 <= dg <= 1 and -2 <= db <= 1:
                    out.append(0x40 | ((dr + 2) << 4) | ((dg + 2) << 2) | (db + 2))
                elif -32 <= dg <= 31 and -8 <= dr_dg <= 7 and -8 <= db_dg <= 7:
                    out += bytes([0x80 | (dg + 32), ((dr_dg + 8) << 4) | (db_dg + 8)])
                else:
                    out += bytes([0xFE, r, g, b])
            else:
                out += bytes([0xFF, r, g, b, a])
        prev = px
    out += b"\x00" * 7 + b"\x01"
    return bytes(out)


def other_cases():
    arr = photo(40, 30, 5)
    rng = np.random.RandomState(7)
    alpha = np.clip(np.round(np.linspace(0, 255, 40))[None, :] + rng.randint(-3, 4, size=(30, 40)), 0, 255)
    rgba = np.dstack([arr, alpha.astype(np.uint8)])

    def pil_save(im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        return buf.getvalue()

    # WebP lossless: exact, RGB and RGBA.
    exact("webp-lossless-rgb", write("other/lossless-rgb.webp",
          pil_save(Image.fromarray(arr, "RGB"), "WEBP", lossless=True)), to_rgba(arr))
    exact("webp-lossless-rgba", write("other/lossless-rgba.webp",
          pil_save(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True, exact=True)), rgba,
          "exact=True keeps the colour of transparent pixels")
    # WebP lossy: against libwebp's decode (through Pillow).
    lossy = pil_save(Image.fromarray(arr, "RGB"), "WEBP", quality=80)
    close("webp-lossy", write("other/lossy.webp", lossy), pil_rgba(Image.open(io.BytesIO(lossy))),
          TOLERANCES["webp-lossy"], "lossy VP8, quality 80, reference = libwebp via Pillow")
    # GIF: a palette image with a transparent index; the first frame of a two-frame animation.
    idx = rng.randint(0, 16, size=(30, 40)).astype(np.uint8)
    pal = rng.randint(0, 256, size=(16, 3)).astype(np.uint8)
    pim = Image.fromarray(idx, "P")
    pim.putpalette(pal.flatten().tolist())
    want = to_rgba(pal[idx])
    exact("gif-palette", write("other/palette.gif", pil_save(pim, "GIF", optimize=False)), want)
    want_t = want.copy()
    want_t[idx == 3] = [0, 0, 0, 0]
    second = Image.fromarray((15 - idx).astype(np.uint8), "P")
    second.putpalette(pal.flatten().tolist())
    anim = pil_save(pim, "GIF", save_all=True, append_images=[second], transparency=3, duration=100, loop=0,
                    optimize=False, disposal=1)
    CASES.append({"id": "gif-animated-transparent-first-frame", "kind": "decode_exact",
                  "file": write("other/animated-transparent.gif", anim), "width": 40, "height": 30,
                  "rgba_sha256": sha(rgba_of(want_t)), "rgb_only_where_opaque": True,
                  "note": "first frame; index 3 transparent (its colour is not compared)"})
    # BMP: 24-bit and 8-bit palette.
    exact("bmp-rgb24", write("other/rgb24.bmp", pil_save(Image.fromarray(arr, "RGB"), "BMP")), to_rgba(arr))
    exact("bmp-pal8", write("other/pal8.bmp", pil_save(pim, "BMP")), want)
    exact("bmp-odd-1x1", write("other/odd-1x1.bmp", pil_save(Image.fromarray(arr[:1, :1], "RGB"), "BMP")),
          to_rgba(arr[:1, :1]))
    # QOI: RGB and RGBA, through the encoder above.
    exact("qoi-rgb", write("other/rgb.qoi", qoi_encode(to_rgba(arr), 3)), to_rgba(arr))
    exact("qoi-rgba", write("other/rgba.qoi", qoi_encode(rgba, 4)), rgba)
    flat = np.zeros((9, 70, 4), np.uint8)
    flat[:, :, :] = [10, 20, 30, 255]
    flat[4:, 30:] = [11, 21, 29, 255]
    flat[7:, 50:] = [200, 21, 29, 128]
    exact("qoi-runs", write("other/runs.qoi", qoi_encode(flat, 4)), flat, "long runs, diff and luma ops")
    # Sizes the headers declare that the decoders refuse without saying why (or misread).
    def size_err(id_, rel, data, code, note):
        CASES.append({"id": id_, "kind": "decode_error", "file": write(rel, data), "code": code, "note": note})

    bmp = bytearray(pil_save(Image.fromarray(arr[:2, :2], "RGB"), "BMP"))
    bmp[18:26] = struct.pack("<ii", 0, 0)
    size_err("bmp-zero-size", "corrupt/bmp-zero-size.bmp", bytes(bmp), "invalid_input", "BITMAPINFOHEADER 0x0")
    size_err("qoi-huge", "corrupt/qoi-huge.qoi", b"qoif" + struct.pack(">IIBB", 100000, 100000, 4, 0) + bytes(8),
             "limit_exceeded", "100000x100000, over QOI's 400 million pixels")
    # The format's widest lossless image, one pixel wider than libwebp's encoder writes. A
    # hand-built bitstream (no transforms, two green values at one bit per pixel); reference:
    # libwebp's decode through Pillow.
    wide = vp8l_two_greens(16384, 3, (10, 30, 255), (40, 200))
    exact("webp-lossless-16384-wide", write("other/lossless-16384-wide.webp", wide),
          pil_rgba(Image.open(io.BytesIO(wide))), "VP8L 16384x3, hand-built; reference = libwebp via Pillow")
    vp8x = b"\x00" * 4 + (2 ** 24 - 1).to_bytes(3, "little") * 2
    size_err("webp-canvas-huge", "corrupt/webp-canvas-huge.webp",
             b"RIFF" + struct.pack("<I", 22) + b"WEBPVP8X" + struct.pack("<I", 10) + vp8x, "limit_exceeded",
             "VP8X canvas 16777216x16777216")


# ---------------------------------------------------------------- embedded ICC profiles

def s15(v):
    return struct.pack(">i", round(v * 65536))


def icc_profile(colorants, curve):
    """A v4 matrix/TRC RGB display profile: D50 `colorants` (r, g, b XYZ) and one tone `curve`
    tag body for all three channels. Built here, so the reference (lcms2) and our decoder read
    the same bytes."""
    desc = b"mluc" + b"\0" * 4 + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", 8, 28) + "nn test".encode("utf-16-be")
    xyz = lambda v: b"XYZ " + b"\0" * 4 + b"".join(s15(c) for c in v)
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249)))]
    tags += [(sig, xyz(c)) for sig, c in zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants)]
    tags += [(sig, curve) for sig in (b"rTRC", b"gTRC", b"bTRC")]
    table, body = b"", b""
    at = 128 + 4 + 12 * len(tags)
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", at + len(body), len(data))
        body += data
    size = 128 + 4 + len(table) + len(body)
    header = struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x04300000) + b"mntrRGB XYZ " + b"\0" * 12
    header += b"acsp" + b"\0" * 24 + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def icc_cases():
    # Display P3 (the sRGB curve as `para` type 3) and Adobe RGB (1998) (`curv` gamma 563/256).
    para3 = b"para" + b"\0" * 4 + struct.pack(">HH", 3, 0) + b"".join(
        s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045))
    p3 = icc_profile([(0.515102, 0.241182, -0.00105), (0.291965, 0.692236, 0.041882), (0.157153, 0.066582, 0.784378)],
                     para3)
    adobe = icc_profile([(0.6097559, 0.3111242, 0.0194811), (0.2052401, 0.625656, 0.0608902),
                         (0.149224, 0.0632197, 0.7448387)], b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563))
    srgb = ImageCms.createProfile("sRGB")

    def to_srgb(im, icc):
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, src, srgb, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)

    # Saturated ramps, where the gamuts differ most, and the greys.
    y, x = np.mgrid[0:48, 0:64]
    rgb = np.dstack([x * 4, y * 5, 255 - x * 4]).astype(np.uint8)
    rgb[40:] = np.repeat(np.linspace(0, 255, 64).astype(np.uint8)[None, :, None], 3, axis=2)
    src = Image.fromarray(rgb, "RGB")
    note = "reference = lcms2 (Pillow ImageCms), relative colorimetric to sRGB"
    for id_, ext, icc, save in [
        ("icc-p3-png", "png", p3, {"format": "PNG"}),
        ("icc-adobe-webp", "webp", adobe, {"format": "WEBP", "lossless": True}),
    ]:
        buf = io.BytesIO()
        src.save(buf, icc_profile=icc, **save)
        close(id_, write(f"other/{id_}.{ext}", buf.getvalue()), to_rgba(np.asarray(to_srgb(src, icc))), 1, note)
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=95, icc_profile=p3)
    data = write("other/icc-p3-jpeg.jpg", buf.getvalue())
    decoded = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    close("icc-p3-jpeg", data, to_rgba(np.asarray(to_srgb(decoded, p3))), 2,
          note + " of libjpeg's decode (our decoder is within 1 of it)")


# ---------------------------------------------------------------- pipeline jobs

def job_cases(previous):
    photo_png = write("jobs/photo-120x80.png", png_bytes(photo(120, 80, 9).reshape(80, -1).tolist(), 120, 80,
                                                        bitdepth=8))
    src = Image.fromarray(photo(120, 80, 10), "RGB")
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=90)
    photo_jpg = write("jobs/photo-120x80.jpg", buf.getvalue())
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(photo(64, 48, 11), "RGB").save(buf, "JPEG", quality=90, exif=exif.tobytes())
    rotated_jpg = write("jobs/exif6-64x48.jpg", buf.getvalue())
    rgba = np.dstack([photo(50, 40, 12), np.tile(np.linspace(0, 255, 50).astype(np.uint8), (40, 1))])
    alpha_png = write("jobs/alpha-50x40.png", png_bytes(rgba.reshape(40, -1).tolist(), 50, 40, alpha=True,
                                                        bitdepth=8))
    # Over 4 MiB as RGBA (8 KiB a row), so a streamed resize runs in several bands of rows:
    # ramps, hard-edged bars and discs, which PNG's Paeth filter turns into near-constant
    # residuals, so the file stays small.
    w, h = 2048, 1200
    y, x = np.mgrid[0:h, 0:w]
    wide = np.dstack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)]).astype(np.uint8)
    for i in range(7):
        wide[90 + i * 150:90 + i * 150 + 20 + i * 3, 100 + i * 40:w - 100 - i * 60] = [(37 * i) % 256, 200 - 20 * i, 60 + 25 * i]
        disc = (x - 250 - i * 260) ** 2 + (y - 200 - i * 120) ** 2 < (40 + i * 9) ** 2
        wide[disc] = [230 - 30 * i, 30 * i, 128]
    buf = io.BytesIO()
    Image.fromarray(wide, "RGB").save(buf, "PNG", optimize=True)
    wide_png = write("jobs/wide-2048x1200.png", buf.getvalue())
    jobs = [
        ("resize-bands-png", wide_png, "resize=256x&format=png", (256, 150)),
        ("resize-bands-cover-skips-rows", wide_png, "resize=400x100&fit=cover&filter=mitchell&format=png", (400, 100)),
        ("resize-cover-png", photo_png, "resize=64x48&fit=cover&format=png", (64, 48)),
        ("resize-contain-bg", photo_png, "resize=64x64&fit=contain&background=ff000080&format=png", (64, 64)),
        ("resize-width-webp", photo_png, "resize=50x&format=webp", (50, 33)),
        ("resize-width-webp-lossless", photo_png, "resize=50x&format=webp&lossless", (50, 33)),
        # Big and skewed enough that VP8L's 15-bit limit on Huffman code lengths applies, where
        # symbols of equal frequency once came out in a different order on wasm32 and x86_64.
        ("webp-lossless-long-codes", wide_png, "format=webp&lossless", (2048, 1200)),
        ("resize-nearest", photo_png, "resize=31x17&fit=fill&filter=nearest&format=png", (31, 17)),
        # sharp's withoutEnlargement: cover keeps the source's scale and cuts; contain pads it.
        ("resize-cover-without-enlargement", photo_png, "resize=150x60&without-enlargement&format=png", (120, 60)),
        ("resize-contain-without-enlargement", photo_jpg,
         "resize=150x100&fit=contain&without-enlargement&background=00ff00&format=png", (150, 100)),
        ("resize-bicubic-jpeg", photo_png, "resize=x40&filter=bicubic&format=jpeg&quality=85", (60, 40)),
        ("jpeg-shrink-on-load", photo_jpg, "resize=30x20&format=png", (30, 20)),
        ("jpeg-exif-upright", rotated_jpg, "format=png", (48, 64)),
        ("jpeg-no-auto-orient", rotated_jpg, "no-auto-orient&format=png", (64, 48)),
        ("crop-flip", photo_png, "crop=10,5,40,30&flip=h&flip=v&format=png", (40, 30)),
        ("rotate-30", photo_png, "rotate=30&format=png", (144, 129)),
        ("rotate-90-pad", photo_png, "rotate=90&pad=2,4,6,8&format=png", (92, 128)),
        ("blur-2", photo_png, "blur=2&format=png", (120, 80)),
        ("sharpen", photo_png, "sharpen=1,2&format=png", (120, 80)),
        ("grey-contrast-jpeg", photo_png, "grayscale&contrast=1.2&format=jpeg&quality=80", (120, 80)),
        ("colour-chain", photo_png, "brightness=1.1&saturate=1.3&hue=45&gamma=1.2&format=png", (120, 80)),
        ("sepia-invert-qoi", photo_png, "sepia&invert&format=qoi", (120, 80)),
        ("alpha-flatten-jpeg", alpha_png, "flatten&format=jpeg&quality=90&progressive", (50, 40)),
        ("alpha-resize-webp", alpha_png, "resize=25x20&format=webp", (25, 20)),
        ("threshold-bmp", photo_png, "threshold=128&format=bmp", (120, 80)),
        ("sobel-median", photo_png, "median&sobel&format=png", (120, 80)),
        # sharp's median(size): an odd and an even window (libvips places it left of centre).
        ("median-5", photo_png, "median=5&format=png", (120, 80)),
        ("median-4-alpha", alpha_png, "median=4&format=png", (50, 40)),
        ("linear-png-compression-9", photo_png, "linear=1.2,-10&format=png&compression=9", (120, 80)),
        ("png-compression-0", alpha_png, "resize=40x&format=png&compression=0", (40, 32)),
        ("remove-then-ensure-alpha", alpha_png, "remove-alpha&ensure-alpha=0.5&format=png", (50, 40)),
        ("linear-per-channel-jpeg-444", photo_png,
         "linear=1.1,1,0.9,0,5,-5&format=jpeg&quality=90&chroma-subsampling=4:4:4", (120, 80)),
        # sharp's Lab/LCh operations, and grey output written as grey (PNG type 4 here).
        ("modulate-alpha", alpha_png, "modulate=1.1,1.4,60,-3&format=png", (50, 40)),
        ("tint-normalise", photo_png, "tint=3366cc&normalise&format=png", (120, 80)),
        ("grey-alpha-png", alpha_png, "grayscale&format=png", (50, 40)),
        # A run of per-channel steps after a grayscale, applied as one pass, with alpha kept.
        ("colour-run-alpha", alpha_png, "grayscale&contrast=1.5&gamma=1.8&invert&linear=0.9,10&format=png", (50, 40)),
        # The white frame pad adds is all trim cuts away: the photo's own size comes back.
        ("pad-trim", photo_png, "pad=5,6,7,8&background=ffffff&trim&format=png", (120, 80)),
        # Indexed PNG: a reduced, dithered palette; translucent entries; two colours at 1 bit.
        ("palette-dither", photo_png, "palette=64&dither=0.75&format=png", (120, 80)),
        ("palette-alpha", alpha_png, "resize=25x20&palette=256&dither=0&format=png", (25, 20)),
        ("threshold-palette-1bit", photo_png, "threshold=128&palette=2&format=png", (120, 80)),
        # GIF through the same quantiser: sharp's defaults (256, full dither); alpha cut at 128.
        ("gif-dither", photo_png, "format=gif", (120, 80)),
        ("gif-alpha-16", alpha_png, "palette=16&dither=0.5&format=gif", (50, 40)),
        # sharp's recomb (truncating), extractChannel and unflatten (the white frame turns clear).
        ("recomb-png", photo_png, "recomb=0.393,0.769,0.189,0.349,0.686,0.168,-0.2,0.534,1.3&format=png", (120, 80)),
        ("extract-channel-png", alpha_png, "extract-channel=alpha&format=png", (50, 40)),
        ("pad-unflatten-png", photo_png, "pad=2,3,4,5&background=ffffff&unflatten&format=png", (128, 86)),
        # sharp's position: cover cuts at a gravity or where entropy or attention points, and
        # contain pads at a gravity; the streamed path (JPEG, a first resize) and the whole one.
        ("cover-north-east-jpeg", photo_jpg, "resize=40x40&position=right top&format=png", (40, 40)),
        ("cover-entropy-bands", wide_png, "resize=300x300&position=entropy&format=png", (300, 300)),
        ("cover-attention-png", photo_png, "rotate=90&resize=60x30&position=attention&format=png", (60, 30)),
        ("contain-south-west", alpha_png, "resize=64x64&fit=contain&position=southwest&background=0000ff80&format=png",
         (64, 64)),
    ]
    for id_, rel, query, (w, h) in jobs:
        with open(os.path.join(HERE, rel), "rb") as f:
            input_sha = sha(f.read())
        old = previous.get(f"job-{id_}", {})
        keep = old.get("query") == query and old.get("input_sha256") == input_sha
        CASES.append({"id": f"job-{id_}", "kind": "job", "file": rel, "query": query, "width": w, "height": h,
                      "input_sha256": input_sha, "output_sha256": old.get("output_sha256") if keep else None,
                      "note": "output bytes blessed from the native build (NEARNATIVE_BLESS=1)"})


def main():
    manifest = os.path.join(HERE, "cases.json")
    previous = {}
    if os.path.exists(manifest):
        with open(manifest) as f:
            previous = {c["id"]: c for c in json.load(f)["cases"]}
    png_cases()
    png_corrupt_cases()
    jpeg_cases()
    resize_cases()
    other_cases()
    icc_cases()
    job_cases(previous)
    for c in CASES:
        if not c.get("note"):
            c.pop("note", None)
    doc = {"_comment": "Image-domain vectors, written by generate.py (see tests/vectors/README.md). Paths are "
                       "relative to this folder.", "set": "image", "cases": CASES}
    with open(manifest, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(dp, n)) for dp, _, ns in os.walk(HERE) for n in ns)
    print(f"{len(CASES)} cases, {total / 1e6:.2f} MB in {HERE}")


if __name__ == "__main__":
    main()

//! wasm-bindgen exports of the nearnative kernels. Glue only: convert arguments, call the
//! crate, turn `nearnative_core::Error` into a JS `Error` carrying the stable `code`.
//! The friendly API (names, streams, workers) is the TypeScript-typed layer in `js/`.
//!
//! Boundary rule: one call per job. Digests pick their algorithm by a small integer (the
//! index in `algorithmNames()`), so a 32-byte hash does not pay for encoding a string.

use wasm_bindgen::prelude::*;

fn js_error(err: nearnative_core::Error) -> JsValue {
    let error = js_sys::Error::new(err.message());
    error.set_name("NearnativeError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &err.code().as_str().into());
    error.into()
}

/// Which build is running: `{ simd128, threads, version }`.
#[wasm_bindgen]
pub fn features() -> JsValue {
    let f = nearnative_core::features();
    let object = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&object, &k.into(), &v);
    };
    set("simd128", f.simd128.into());
    set("threads", f.threads.into());
    set("version", env!("CARGO_PKG_VERSION").into());
    object.into()
}

/// Test hook: traps on purpose, so tests can prove that the JS layer resets the instance and
/// the next call succeeds. Not part of the documented API.
#[doc(hidden)]
#[wasm_bindgen(js_name = __trapForTests)]
pub fn trap_for_tests() {
    #[allow(clippy::panic)]
    {
        panic!("trap requested by a test");
    }
}

#[cfg(feature = "hash")]
mod hash {
    use nearnative_hash::aead::{self, AeadAlgorithm};
    use nearnative_hash::kdf::{self, Argon2Params};
    use nearnative_hash::{Algorithm, MacAlgorithm};
    use wasm_bindgen::prelude::*;

    use super::js_error;

    type JsResult<T> = Result<T, JsValue>;

    fn algorithm(id: u8) -> JsResult<Algorithm> {
        Algorithm::ALL
            .get(usize::from(id))
            .copied()
            .ok_or_else(|| js_error(nearnative_core::Error::unsupported(format!("no digest algorithm has id {id}"))))
    }

    fn parse<T: std::str::FromStr<Err = nearnative_core::Error>>(text: &str) -> JsResult<T> {
        text.parse().map_err(js_error)
    }

    /// Digest names, in id order.
    #[wasm_bindgen(js_name = algorithmNames)]
    pub fn algorithm_names() -> Vec<String> {
        Algorithm::names().map(str::to_owned).collect()
    }

    #[wasm_bindgen]
    pub fn digest(algorithm_id: u8, data: &[u8]) -> JsResult<Vec<u8>> {
        Ok(nearnative_hash::digest(algorithm(algorithm_id)?, data))
    }

    /// Streaming digest; `digest()` finalizes and resets.
    #[wasm_bindgen]
    pub struct Hasher(nearnative_hash::Hasher);

    #[wasm_bindgen]
    impl Hasher {
        #[wasm_bindgen(constructor)]
        pub fn new(algorithm_id: u8) -> JsResult<Hasher> {
            Ok(Hasher(nearnative_hash::Hasher::new(algorithm(algorithm_id)?)))
        }
        pub fn update(&mut self, data: &[u8]) {
            self.0.update(data);
        }
        pub fn digest(&mut self) -> Vec<u8> {
            self.0.finalize_reset()
        }
    }

    /// Several digests of one stream, fed by one boundary crossing per chunk.
    #[wasm_bindgen]
    pub struct MultiHasher(Vec<nearnative_hash::Hasher>);

    #[wasm_bindgen]
    impl MultiHasher {
        #[wasm_bindgen(constructor)]
        pub fn new(algorithm_ids: &[u8]) -> JsResult<MultiHasher> {
            let hashers = algorithm_ids
                .iter()
                .map(|&id| algorithm(id).map(nearnative_hash::Hasher::new))
                .collect::<JsResult<Vec<_>>>()?;
            Ok(MultiHasher(hashers))
        }
        pub fn update(&mut self, data: &[u8]) {
            for hasher in &mut self.0 {
                hasher.update(data);
            }
        }
        /// The digests concatenated in the order of the ids given to the constructor.
        pub fn digests(&mut self) -> Vec<u8> {
            self.0.iter_mut().flat_map(|h| h.finalize_reset()).collect()
        }
    }

    #[wasm_bindgen]
    pub fn hmac(algorithm: &str, key: &[u8], data: &[u8]) -> JsResult<Vec<u8>> {
        Ok(nearnative_hash::hmac(parse::<MacAlgorithm>(algorithm)?, key, data))
    }

    #[wasm_bindgen]
    pub struct Mac(nearnative_hash::Mac);

    #[wasm_bindgen]
    impl Mac {
        #[wasm_bindgen(constructor)]
        pub fn new(algorithm: &str, key: &[u8]) -> JsResult<Mac> {
            Ok(Mac(nearnative_hash::Mac::new(parse(algorithm)?, key)))
        }
        pub fn update(&mut self, data: &[u8]) {
            self.0.update(data);
        }
        pub fn digest(&mut self) -> Vec<u8> {
            std::mem::replace(&mut self.0, nearnative_hash::Mac::new(MacAlgorithm::HmacSha256, &[])).finalize()
        }
    }

    #[wasm_bindgen]
    pub fn hkdf(algorithm: &str, ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> JsResult<Vec<u8>> {
        kdf::hkdf(parse(algorithm)?, ikm, salt, info, length).map_err(js_error)
    }

    #[wasm_bindgen(js_name = pbkdf2Sha256)]
    pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32, length: usize) -> JsResult<Vec<u8>> {
        kdf::pbkdf2_sha256(password, salt, rounds, length).map_err(js_error)
    }

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen]
    pub fn argon2id(
        password: &[u8],
        salt: &[u8],
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        length: usize,
        secret: &[u8],
        associated_data: &[u8],
    ) -> JsResult<Vec<u8>> {
        let params = Argon2Params {
            memory_kib,
            iterations,
            parallelism,
            output_len: length,
            secret: secret.to_vec(),
            associated_data: associated_data.to_vec(),
        };
        // 1 GiB: a wasm32 instance addresses 4 GiB at most, and engines often cannot grow a
        // memory by 2 GiB in one step, so a larger request is refused before it is tried.
        kdf::argon2id(password, salt, &params, nearnative_core::MemoryBudget::DEFAULT).map_err(js_error)
    }

    #[wasm_bindgen(js_name = aeadSeal)]
    pub fn aead_seal(algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> JsResult<Vec<u8>> {
        aead::seal(parse::<AeadAlgorithm>(algorithm)?, key, nonce, aad, plaintext).map_err(js_error)
    }

    #[wasm_bindgen(js_name = aeadOpen)]
    pub fn aead_open(algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> JsResult<Vec<u8>> {
        aead::open(parse::<AeadAlgorithm>(algorithm)?, key, nonce, aad, sealed).map_err(js_error)
    }
}

#[cfg(feature = "age")]
mod age {
    use nearnative_hash::agefile::{self, Recipients, Secret};
    use wasm_bindgen::prelude::*;

    use super::js_error;

    type JsResult<T> = Result<T, JsValue>;

    /// `[identity, recipient]`.
    #[wasm_bindgen(js_name = ageKeygen)]
    pub fn age_keygen() -> Vec<String> {
        use nearnative_hash::agefile::ExposeSecret;
        let pair = agefile::generate();
        vec![pair.identity.expose_secret().to_owned(), pair.recipient]
    }

    /// The recipients of every identity in an identity file.
    #[wasm_bindgen(js_name = ageRecipients)]
    pub fn age_recipients(identities: &str) -> JsResult<Vec<String>> {
        let parsed = agefile::parse_identities(identities).map_err(js_error)?;
        Ok(parsed.iter().map(|i| i.to_public().to_string()).collect())
    }

    #[wasm_bindgen(js_name = ageEncrypt)]
    pub fn age_encrypt(recipients: Vec<String>, armor: bool, plaintext: &[u8]) -> JsResult<Vec<u8>> {
        let keys =
            recipients.iter().map(|r| agefile::parse_recipient(r)).collect::<Result<Vec<_>, _>>().map_err(js_error)?;
        agefile::encrypt(Recipients::Keys(&keys), armor, plaintext, Vec::new()).map_err(js_error)
    }

    #[wasm_bindgen(js_name = ageEncryptPassphrase)]
    pub fn age_encrypt_passphrase(
        passphrase: &str,
        work_factor: u8,
        armor: bool,
        plaintext: &[u8],
    ) -> JsResult<Vec<u8>> {
        let to = Recipients::Passphrase { passphrase, work_factor };
        agefile::encrypt(to, armor, plaintext, Vec::new()).map_err(js_error)
    }

    #[wasm_bindgen(js_name = ageDecrypt)]
    pub fn age_decrypt(identities: &str, file: &[u8]) -> JsResult<Vec<u8>> {
        let parsed = agefile::parse_identities(identities).map_err(js_error)?;
        agefile::decrypt(Secret::Identities(&parsed), file, Vec::new()).map_err(js_error)
    }

    #[wasm_bindgen(js_name = ageDecryptPassphrase)]
    pub fn age_decrypt_passphrase(passphrase: &str, file: &[u8]) -> JsResult<Vec<u8>> {
        agefile::decrypt(Secret::Passphrase(passphrase), file, Vec::new()).map_err(js_error)
    }

    #[wasm_bindgen(js_name = ageIsPassphraseFile)]
    pub fn age_is_passphrase_file(header: &[u8]) -> JsResult<bool> {
        agefile::is_passphrase_file(header).map_err(js_error)
    }

    #[wasm_bindgen(js_name = defaultScryptWorkFactor)]
    pub fn default_scrypt_work_factor() -> u8 {
        agefile::DEFAULT_SCRYPT_WORK_FACTOR
    }
}

#[cfg(feature = "image")]
mod image {
    //! One call per job: the JS chain builds a `nearnative_image::Job` (serde JSON), which
    //! crosses together with the input bytes and the overlays; the output comes back as one
    //! buffer plus a small info object.

    use nearnative_core::Error;
    use nearnative_image::pipeline::{self, Cuts, Job, Output, RawLayout, Target};
    use nearnative_image::{codec, colour, Image, Info, Limits};
    use wasm_bindgen::prelude::*;

    use super::js_error;

    type JsResult<T> = Result<T, JsValue>;

    fn object(fields: &[(&str, JsValue)]) -> JsValue {
        let object = js_sys::Object::new();
        for (key, value) in fields {
            let _ = js_sys::Reflect::set(&object, &(*key).into(), value);
        }
        object.into()
    }

    fn parse_job(job: &str) -> JsResult<Job> {
        serde_json::from_str(job)
            .map_err(|e| js_error(Error::invalid_input(format!("the image job is not valid: {e}"))))
    }

    /// Overlays arrive concatenated in `bytes`, with their lengths in `lengths`.
    fn split_overlays<'a>(bytes: &'a [u8], lengths: &[u32]) -> JsResult<Vec<&'a [u8]>> {
        let mut overlays = Vec::with_capacity(lengths.len());
        let mut at = 0usize;
        for &len in lengths {
            let end = at
                .checked_add(len as usize)
                .filter(|&end| end <= bytes.len())
                .ok_or_else(|| js_error(Error::invalid_input("overlay lengths do not match the overlay bytes")))?;
            overlays.push(&bytes[at..end]);
            at = end;
        }
        Ok(overlays)
    }

    fn info_object(info: &Info) -> JsValue {
        object(&[
            ("format", info.format.name().into()),
            ("width", info.width.into()),
            ("height", info.height.into()),
            ("channels", info.channels.into()),
            ("bitDepth", info.bit_depth.into()),
            ("hasAlpha", info.has_alpha.into()),
            ("orientation", info.orientation.into()),
            ("palette", info.palette.into()),
            ("progressive", info.progressive.into()),
        ])
    }

    fn output_object(output: Output) -> JsValue {
        let size = output.bytes.len() as u32;
        let data = js_sys::Uint8Array::from(output.bytes.as_slice());
        drop(output.bytes);
        object(&[
            ("data", data.into()),
            ("format", output.format.map_or_else(|| JsValue::from_str("raw"), |f| f.name().into())),
            ("width", output.width.into()),
            ("height", output.height.into()),
            ("channels", output.channels.into()),
            ("hasAlpha", output.has_alpha.into()),
            ("size", size.into()),
            ("input", output.input.as_ref().map_or(JsValue::NULL, info_object)),
            ("cuts", cuts_object(&output.cuts)),
        ])
    }

    /// `{ trim: [left, top] | null, strategy: { left, top, focusX, focusY } | null }`.
    fn cuts_object(cuts: &Cuts) -> JsValue {
        let pair = |(x, y): (u32, u32)| js_sys::Array::of2(&x.into(), &y.into()).into();
        object(&[
            ("trim", cuts.trim.map_or(JsValue::NULL, pair)),
            (
                "strategy",
                cuts.strategy.map_or(JsValue::NULL, |cut| {
                    object(&[
                        ("left", cut.left.into()),
                        ("top", cut.top.into()),
                        ("focusX", cut.focus.0.into()),
                        ("focusY", cut.focus.1.into()),
                    ])
                }),
            ),
        ])
    }

    /// Runs `job` (JSON) on an encoded image. Returns `{ data, format, width, height,
    /// channels, hasAlpha, size, input, cuts }`.
    #[wasm_bindgen(js_name = imageRun)]
    pub fn image_run(job: &str, input: &[u8], overlays: &[u8], overlay_lengths: &[u32]) -> JsResult<JsValue> {
        let job = parse_job(job)?;
        let overlays = split_overlays(overlays, overlay_lengths)?;
        pipeline::run(&job, input, &overlays).map(output_object).map_err(js_error)
    }

    /// Runs `job` on RGBA8 pixels the caller already has (ImageData, raw input widened to
    /// RGBA8); `alpha_band` says whether they came with alpha (see `pipeline::run_image`).
    #[wasm_bindgen(js_name = imageRunRgba)]
    pub fn image_run_rgba(
        job: &str,
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        alpha_band: bool,
        overlays: &[u8],
        overlay_lengths: &[u32],
    ) -> JsResult<JsValue> {
        let job = parse_job(job)?;
        let overlays = split_overlays(overlays, overlay_lengths)?;
        let image = Image::from_rgba(width, height, pixels, &job.limits).map_err(js_error)?;
        pipeline::run_image(&job, image, alpha_band, &overlays).map(output_object).map_err(js_error)
    }

    /// RGBA8 pixels resident in Wasm memory between jobs, for loops over canvas or video
    /// frames: JS writes them through `pixels()`, `run` applies a job in place, and the result
    /// is read through `pixels()` again, so the caller makes the only copies.
    #[wasm_bindgen(js_name = ImageFrame)]
    pub struct Frame {
        image: Image,
    }

    #[wasm_bindgen(js_class = ImageFrame)]
    impl Frame {
        /// A transparent-black `width`×`height` frame, within `max_pixels`.
        #[wasm_bindgen(constructor)]
        pub fn new(width: u32, height: u32, max_pixels: f64) -> JsResult<Frame> {
            let limits = Limits { max_pixels: max_pixels as u64 };
            limits.check(width, height).map_err(js_error)?;
            let len = width as usize * height as usize * 4;
            let mut pixels = Vec::new();
            pixels.try_reserve_exact(len).map_err(|_| {
                js_error(Error::limit_exceeded(format!(
                    "a {width}x{height} frame needs {} MiB more Wasm memory than the engine can grow to",
                    len >> 20
                )))
            })?;
            pixels.resize(len, 0);
            Ok(Frame { image: Image { width, height, pixels, has_alpha: true } })
        }

        #[wasm_bindgen(getter)]
        pub fn width(&self) -> u32 {
            self.image.width
        }

        #[wasm_bindgen(getter)]
        pub fn height(&self) -> u32 {
            self.image.height
        }

        /// A view of the pixels in Wasm memory, not a copy. It is valid until the next call
        /// into this module (a job may move the pixels or grow the memory): fetch it again.
        pub fn pixels(&self) -> js_sys::Uint8Array {
            let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            let pixels = &self.image.pixels;
            js_sys::Uint8Array::new_with_byte_offset_and_length(
                &memory.buffer(),
                pixels.as_ptr() as u32,
                pixels.len() as u32,
            )
        }

        /// Runs `job` (JSON) on the frame in place; returns the encoded bytes for an encoded
        /// target, else `undefined`. After an error the frame keeps a consistent size.
        pub fn run(&mut self, job: &str, overlays: &[u8], overlay_lengths: &[u32]) -> JsResult<JsValue> {
            let job = parse_job(job)?;
            let overlays = split_overlays(overlays, overlay_lengths)?;
            let encoded = pipeline::run_in_place(&job, &mut self.image, &overlays).map_err(js_error)?;
            Ok(encoded.map_or(JsValue::UNDEFINED, |bytes| js_sys::Uint8Array::from(bytes.as_slice()).into()))
        }
    }

    /// The header of an encoded image, without decoding pixels.
    #[wasm_bindgen(js_name = imageMetadata)]
    pub fn image_metadata(input: &[u8]) -> JsResult<JsValue> {
        codec::probe(input).map(|info| info_object(&info)).map_err(js_error)
    }

    /// Per-channel statistics of the image after the job's steps (its target is ignored), over
    /// the bands `raw()` would give, as sharp counts them. `raw_width`/`raw_height` are 0 for
    /// encoded input, else the size of RGBA8 `input`, whose alpha is a band when `alpha_band`
    /// and which came from grey samples when `grey_input`.
    #[wasm_bindgen(js_name = imageStats)]
    pub fn image_stats(
        job: &str,
        input: Vec<u8>,
        raw_width: u32,
        raw_height: u32,
        alpha_band: bool,
        grey_input: bool,
        overlays: &[u8],
        overlay_lengths: &[u32],
    ) -> JsResult<JsValue> {
        let mut job = parse_job(job)?;
        job.target = Target::Raw { layout: RawLayout::Bands };
        let overlays = split_overlays(overlays, overlay_lengths)?;
        let output = if raw_width == 0 && raw_height == 0 {
            pipeline::run(&job, &input, &overlays)
        } else {
            Image::from_rgba(raw_width, raw_height, input, &job.limits)
                .and_then(|image| pipeline::run_image(&job, image, alpha_band, &overlays))
        }
        .map_err(js_error)?;
        let grey_input = grey_input || output.input.as_ref().is_some_and(|info| info.channels <= 2);
        let stats = colour::sharp_stats(&output.bytes, usize::from(output.channels), grey_input);
        let channels = js_sys::Array::new();
        for c in &stats.channels {
            channels.push(&object(&[
                ("min", c.min.into()),
                ("max", c.max.into()),
                ("sum", (c.sum as f64).into()),
                ("mean", c.mean.into()),
                ("stdev", c.stdev.into()),
            ]));
        }
        Ok(object(&[("channels", channels.into()), ("isOpaque", stats.is_opaque.into())]))
    }

    /// The CLI/HTTP vocabulary: `pairs` is `[name, value, name, value, ...]` in order
    /// (`value` is empty for flags), parsed by `parse_steps`.
    #[wasm_bindgen(js_name = imageTransform)]
    pub fn image_transform(pairs: Vec<String>, input: &[u8]) -> JsResult<JsValue> {
        if !pairs.len().is_multiple_of(2) {
            return Err(js_error(Error::invalid_input("transform pairs must come as name, value")));
        }
        let (job, _) =
            pipeline::parse_steps(pairs.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str()))).map_err(js_error)?;
        pipeline::run(&job, input, &[]).map(output_object).map_err(js_error)
    }

    /// The step names `parse_steps` understands and whether each takes a value.
    #[wasm_bindgen(js_name = imageVocabulary)]
    pub fn image_vocabulary() -> JsValue {
        let list = js_sys::Array::new();
        for &(name, takes) in pipeline::VOCABULARY {
            list.push(&object(&[
                ("name", name.into()),
                ("takesValue", (takes == pipeline::Takes::Value).into()),
                ("optionalValue", (takes == pipeline::Takes::OptionalValue).into()),
            ]));
        }
        list.into()
    }
}

//! Runs every embedded vector set against nearnative-hash, and checks that the embedded list
//! is exactly the set of files in tests/vectors.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use nearnative_vectors::{
    embedded, run_set, run_set_with, verdict, AgeSecret, Argon2Params, KernelResult, Kernels, RustKernels,
    KNOWN_DEVIATIONS,
};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

#[test]
fn every_embedded_set_passes() {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    let mut total = 0;
    for (file, json) in embedded() {
        let (set, outcomes) = run_set(json).unwrap_or_else(|e| panic!("{file}: {e}"));
        let stem = file.strip_suffix(".json").unwrap();
        assert_eq!(set, stem, "{file} names its set '{set}'; the set name must match the file name");
        assert!(!outcomes.is_empty(), "{file} has no cases");
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
        summary.push(format!("{set:>22}: {:>4} cases, {:>4} failed", outcomes.len(), failed.len()));
        total += outcomes.len();
        failures.extend(failed.iter().map(|o| (set.clone(), o.id.clone(), o.detail.clone())));
    }
    println!("{}\n{total} cases in {} sets", summary.join("\n"), embedded().len());

    // Known deviations still run and are printed; the test insists that exactly they fail.
    let known: BTreeMap<&str, &str> = KNOWN_DEVIATIONS.iter().copied().collect();
    let (deviations, unexpected): (Vec<_>, Vec<_>) =
        failures.iter().partition(|(_, id, _)| known.contains_key(id.as_str()));
    for (set, id, detail) in &deviations {
        println!("KNOWN DEVIATION {set} / {id}: {detail}\n    why: {}", known[id.as_str()]);
    }
    let listing: Vec<_> = unexpected.iter().map(|(set, id, detail)| format!("{set} / {id}: {detail}")).collect();
    assert!(unexpected.is_empty(), "{} of {total} vector cases failed:\n{}", unexpected.len(), listing.join("\n"));
    let now_passing: Vec<_> = known.keys().filter(|id| !deviations.iter().any(|(_, d, _)| d == *id)).collect();
    assert!(
        now_passing.is_empty(),
        "cases in KNOWN_DEVIATIONS no longer fail; remove them from the list: {now_passing:?}"
    );
}

/// How each expected age failure kind is reported, so a change in error codes shows up in
/// the test output (`cargo test -- --nocapture`). The pass criterion itself is only that
/// decryption fails; see `run_set`.
#[test]
fn age_failure_kinds_map_to_error_codes() {
    let mut seen: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (file, json) in embedded().iter().filter(|(f, _)| f.starts_with("age-testkit")) {
        let (_, outcomes) = run_set(json).unwrap_or_else(|e| panic!("{file}: {e}"));
        for outcome in outcomes.iter().filter(|o| o.passed) {
            let Some((kind, rest)) = outcome.detail.split_once(": failed with ") else {
                continue;
            };
            let code = rest.split(':').next().unwrap_or_default().to_owned();
            seen.entry(kind.to_owned()).or_default().entry(code).or_default().push(outcome.id.clone());
        }
    }
    for (kind, codes) in &seen {
        for (code, ids) in codes {
            println!("{kind:>16} -> {code:<15} {} case(s): {}", ids.len(), ids.join(" "));
        }
    }
    assert!(!seen.is_empty(), "no age failure case ran");
}

#[test]
fn embedded_sets_are_exactly_the_files_on_disk() {
    let mut on_disk = BTreeMap::new();
    for entry in fs::read_dir(vectors_dir()).expect("tests/vectors exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            on_disk.insert(name, fs::read_to_string(&path).unwrap());
        }
    }
    let compiled: BTreeMap<_, _> = embedded().iter().map(|(n, j)| (n.to_string(), *j)).collect();
    let missing: Vec<_> = on_disk.keys().filter(|n| !compiled.contains_key(*n)).collect();
    let extra: Vec<_> = compiled.keys().filter(|n| !on_disk.contains_key(*n)).collect();
    assert!(missing.is_empty(), "vector files not listed in embedded() (add them in src/lib.rs): {missing:?}");
    assert!(extra.is_empty(), "embedded() lists files that are not in tests/vectors: {extra:?}");
    for (name, text) in &on_disk {
        assert!(compiled[name] == text.as_str(), "{name}: the embedded copy differs from the file");
    }
}

/// An implementation with only the required methods and an all-or-nothing `age_decrypt`, as
/// a component or JS host provides them, over the same kernels.
struct AllOrNothing;

impl Kernels for AllOrNothing {
    fn digest(&mut self, algorithm: &str, data: &[u8]) -> KernelResult {
        RustKernels.digest(algorithm, data)
    }
    fn hmac(&mut self, algorithm: &str, key: &[u8], data: &[u8]) -> KernelResult {
        RustKernels.hmac(algorithm, key, data)
    }
    fn hkdf(&mut self, algorithm: &str, ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> KernelResult {
        RustKernels.hkdf(algorithm, ikm, salt, info, length)
    }
    fn pbkdf2_sha256(&mut self, password: &[u8], salt: &[u8], rounds: u32, length: usize) -> KernelResult {
        RustKernels.pbkdf2_sha256(password, salt, rounds, length)
    }
    fn argon2id(&mut self, password: &[u8], salt: &[u8], params: &Argon2Params) -> KernelResult {
        RustKernels.argon2id(password, salt, params)
    }
    fn aead_seal(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> KernelResult {
        RustKernels.aead_seal(algorithm, key, nonce, aad, plaintext)
    }
    fn aead_open(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> KernelResult {
        RustKernels.aead_open(algorithm, key, nonce, aad, sealed)
    }
    fn age_decrypt(&mut self, secret: AgeSecret<'_>, file: &[u8], plaintext: &mut Vec<u8>) -> KernelResult<()> {
        let mut all = Vec::new();
        RustKernels.age_decrypt(secret, file, &mut all)?;
        *plaintext = all;
        Ok(())
    }
}

/// The line a host prints depends only on what the kernels return, not on whether they stream
/// or can verify a tag: so a host with a narrower API must print exactly what `run_set` does.
#[test]
fn a_narrower_implementation_prints_the_same_lines() {
    for (file, json) in embedded() {
        let (set, reference) = run_set(json).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (other_set, outcomes) = run_set_with(&mut AllOrNothing, json).unwrap();
        assert_eq!(set, other_set);
        assert_eq!(reference.len(), outcomes.len(), "{file}");
        for (want, got) in reference.iter().zip(&outcomes) {
            assert_eq!((&want.id, &want.output), (&got.id, &got.output), "{file}");
            assert_eq!(verdict(want), verdict(got), "{file} / {}: {} | {}", got.id, want.detail, got.detail);
        }
    }
}

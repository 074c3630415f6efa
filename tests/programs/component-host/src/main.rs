//! `nearnative-component-conformance COMPONENT.wasm FILE.json...`: runs vector files through
//! the library component (`dist/component/nearnative.wasm`, world `kernels` of `wit/`),
//! embedded with wasmtime, and prints `SET<TAB>ID<TAB>pass|known|FAIL<TAB>OUTPUT` per case,
//! exactly as `nearnative-conformance` does for the Rust kernels, so the two can be diffed.
//! The checks and the output lines come from `nearnative_vectors`; this program only turns
//! the trait's calls into component calls. Exits 1 if any case fails its vector, 2 on
//! unreadable input or a component that does not load. Timings go to stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nearnative_core::{Error, ErrorCode};
use nearnative_vectors::{AgeSecret, Argon2Params, KernelResult, Kernels};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../../wit",
        world: "kernels",
    });
}

use bindings::exports::nearnative::kernels::crypto;
use bindings::exports::nearnative::kernels::types::Error as WitError;

const PROGRAM: &str = "nearnative-component-conformance";

/// Store data: the WASI state that Rust std inside the component imports.
struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

/// One instance of the component, called through [`Kernels`].
struct ComponentKernels {
    engine: Engine,
    component: Component,
    linker: Linker<Host>,
    store: Store<Host>,
    bindings: bindings::Kernels,
}

type Call<T> = wasmtime::Result<Result<T, WitError>>;

impl ComponentKernels {
    fn new(engine: &Engine, component: &Component) -> wasmtime::Result<Self> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        let (store, bindings) = Self::instantiate(engine, component, &linker)?;
        Ok(ComponentKernels { engine: engine.clone(), component: component.clone(), linker, store, bindings })
    }

    fn instantiate(
        engine: &Engine,
        component: &Component,
        linker: &Linker<Host>,
    ) -> wasmtime::Result<(Store<Host>, bindings::Kernels)> {
        // stderr only, so a panic message inside the component reaches the person running this.
        let ctx = WasiCtx::builder().inherit_stderr().build();
        let mut store = Store::new(engine, Host { ctx, table: ResourceTable::new() });
        let bindings = bindings::Kernels::instantiate(&mut store, component, linker)?;
        Ok((store, bindings))
    }

    fn build_info(&mut self) -> wasmtime::Result<String> {
        let info = self.bindings.nearnative_kernels_types().call_build(&mut self.store)?;
        Ok(format!("{} [{}]", info.version, info.features.join(", ")))
    }

    /// A WIT error becomes the kernel error it stands for. A trap is a bug in the component:
    /// it is reported as `internal`, and the poisoned instance is replaced so that one trap
    /// cannot turn every later case into a failure too.
    fn settle<T>(&mut self, call: Call<T>) -> KernelResult<T> {
        match call {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(kernel_error(e)),
            Err(trap) => {
                eprintln!("{PROGRAM}: the component trapped: {trap:#}");
                match Self::instantiate(&self.engine, &self.component, &self.linker) {
                    Ok((store, bindings)) => (self.store, self.bindings) = (store, bindings),
                    Err(e) => eprintln!("{PROGRAM}: re-instantiating after the trap failed: {e:#}"),
                }
                Err(Error::new(ErrorCode::Internal, format!("the component trapped: {trap}")))
            }
        }
    }
}

fn kernel_error(e: WitError) -> Error {
    let (code, message) = match e {
        WitError::InvalidInput(m) => (ErrorCode::InvalidInput, m),
        WitError::Unsupported(m) => (ErrorCode::Unsupported, m),
        WitError::LimitExceeded(m) => (ErrorCode::LimitExceeded, m),
        WitError::AuthFailed(m) => (ErrorCode::AuthFailed, m),
        WitError::Io(m) => (ErrorCode::Io, m),
        WitError::Internal(m) => (ErrorCode::Internal, m),
    };
    Error::new(code, message)
}

/// WIT lengths are `u32`; a larger request cannot be expressed, so it is refused here the way
/// the kernels refuse an impossible length.
fn wit_length(what: &str, length: usize) -> KernelResult<u32> {
    u32::try_from(length).map_err(|_| Error::invalid_input(format!("{what} {length} does not fit the WIT u32")))
}

impl Kernels for ComponentKernels {
    fn digest(&mut self, algorithm: &str, data: &[u8]) -> KernelResult {
        let call = self.bindings.nearnative_kernels_hash().call_digest(&mut self.store, algorithm, data);
        self.settle(call)
    }

    fn digest_pieces(&mut self, algorithm: &str, pieces: &[&[u8]]) -> KernelResult {
        let hasher = self.bindings.nearnative_kernels_hash().hasher();
        let store = &mut self.store;
        let call = (|| -> Call<Vec<u8>> {
            let resource = match hasher.call_create(&mut *store, algorithm)? {
                Ok(resource) => resource,
                Err(e) => return Ok(Err(e)),
            };
            for piece in pieces {
                hasher.call_update(&mut *store, resource, piece)?;
            }
            let digest = hasher.call_finish(&mut *store, resource)?;
            resource.resource_drop(&mut *store)?;
            Ok(Ok(digest))
        })();
        self.settle(call)
    }

    fn hmac(&mut self, algorithm: &str, key: &[u8], data: &[u8]) -> KernelResult {
        let call = self.bindings.nearnative_kernels_hash().call_hmac(&mut self.store, algorithm, key, data);
        self.settle(call)
    }

    fn hmac_pieces(&mut self, algorithm: &str, key: &[u8], pieces: &[&[u8]]) -> KernelResult {
        let mac = self.bindings.nearnative_kernels_hash().mac();
        let store = &mut self.store;
        let call = (|| -> Call<Vec<u8>> {
            let resource = match mac.call_create(&mut *store, algorithm, key)? {
                Ok(resource) => resource,
                Err(e) => return Ok(Err(e)),
            };
            for piece in pieces {
                mac.call_update(&mut *store, resource, piece)?;
            }
            let tag = mac.call_finish(&mut *store, resource)?;
            resource.resource_drop(&mut *store)?;
            Ok(Ok(tag))
        })();
        self.settle(call)
    }

    fn hkdf(&mut self, algorithm: &str, ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> KernelResult {
        let length = wit_length("HKDF length", length)?;
        let call =
            self.bindings.nearnative_kernels_crypto().call_hkdf(&mut self.store, algorithm, ikm, salt, info, length);
        self.settle(call)
    }

    fn pbkdf2_sha256(&mut self, password: &[u8], salt: &[u8], rounds: u32, length: usize) -> KernelResult {
        let length = wit_length("PBKDF2 length", length)?;
        let crypto = self.bindings.nearnative_kernels_crypto();
        let call = crypto.call_pbkdf2_sha256(&mut self.store, password, salt, rounds, length);
        self.settle(call)
    }

    fn argon2id(&mut self, password: &[u8], salt: &[u8], params: &Argon2Params) -> KernelResult {
        let params = crypto::Argon2Params {
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
            length: wit_length("Argon2id length", params.output_len)?,
            secret: params.secret.clone(),
            associated_data: params.associated_data.clone(),
        };
        let call = self.bindings.nearnative_kernels_crypto().call_argon2id(&mut self.store, password, salt, &params);
        self.settle(call)
    }

    fn aead_seal(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> KernelResult {
        let crypto = self.bindings.nearnative_kernels_crypto();
        let call = crypto.call_aead_seal(&mut self.store, algorithm, key, nonce, aad, plaintext);
        self.settle(call)
    }

    fn aead_open(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> KernelResult {
        let crypto = self.bindings.nearnative_kernels_crypto();
        let call = crypto.call_aead_open(&mut self.store, algorithm, key, nonce, aad, sealed);
        self.settle(call)
    }

    /// All or nothing: the WIT returns the whole plaintext or an error.
    fn age_decrypt(&mut self, secret: AgeSecret<'_>, file: &[u8], plaintext: &mut Vec<u8>) -> KernelResult<()> {
        let age = self.bindings.nearnative_kernels_age();
        let call = match secret {
            AgeSecret::Identities(identities) => age.call_decrypt(&mut self.store, identities, file),
            AgeSecret::Passphrase(passphrase) => age.call_decrypt_with_passphrase(&mut self.store, passphrase, file),
        };
        *plaintext = self.settle(call)?;
        Ok(())
    }
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [component_path, files @ ..] = args.as_slice() else {
        eprintln!("usage: {PROGRAM} COMPONENT.wasm FILE.json...");
        return ExitCode::from(2);
    };
    if files.is_empty() {
        eprintln!("usage: {PROGRAM} COMPONENT.wasm FILE.json...");
        return ExitCode::from(2);
    }

    let started = Instant::now();
    let engine = Engine::default();
    let component = match Component::from_file(&engine, component_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{PROGRAM}: {component_path}: {e:#}");
            return ExitCode::from(2);
        }
    };
    let compiled = started.elapsed();
    let mut kernels = match ComponentKernels::new(&engine, &component) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{PROGRAM}: {component_path}: cannot instantiate: {e:#}");
            return ExitCode::from(2);
        }
    };
    let build = kernels.build_info().unwrap_or_else(|e| format!("unknown ({e})"));
    let instantiated = started.elapsed();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut cases = 0;
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{PROGRAM}: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let (set, outcomes) = match nearnative_vectors::run_set_with(&mut kernels, &text) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{PROGRAM}: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        for outcome in outcomes {
            let verdict = nearnative_vectors::verdict(&outcome);
            failed |= verdict == "FAIL";
            cases += 1;
            let _ = writeln!(out, "{set}\t{}\t{verdict}\t{}", outcome.id, outcome.output);
        }
    }
    let _ = out.flush();
    eprintln!(
        "{PROGRAM}: component {build}: compiled in {}, instantiated in {}; {cases} cases in {}; total {}",
        millis(compiled),
        millis(instantiated - compiled),
        millis(started.elapsed() - instantiated),
        millis(started.elapsed()),
    );
    ExitCode::from(u8::from(failed))
}

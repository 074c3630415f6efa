//! `nearnative-conformance FILE.json...`: prints `SET<TAB>ID<TAB>pass|known|FAIL<TAB>OUTPUT` for
//! every case, OUTPUT being `nearnative_vectors::canonical_output`. Exits 1 if any case
//! fails its vector (`known` marks the documented
//! deviations of `nearnative_vectors::KNOWN_DEVIATIONS`), 2 on unreadable input. The runner in tests/conformance compares these
//! lines across hosts; this program only reports.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: nearnative-conformance FILE.json...");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("nearnative-conformance: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let (set, outcomes) = match nearnative_vectors::run_set(&text) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("nearnative-conformance: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        for outcome in outcomes {
            let known = nearnative_vectors::KNOWN_DEVIATIONS.iter().any(|(id, _)| *id == outcome.id);
            let verdict = match (outcome.passed, known) {
                (true, _) => "pass",
                (false, true) => "known",
                (false, false) => "FAIL",
            };
            failed |= verdict == "FAIL";
            let _ = writeln!(out, "{set}\t{}\t{verdict}\t{}", outcome.id, outcome.output);
        }
    }
    let _ = out.flush();
    ExitCode::from(u8::from(failed))
}

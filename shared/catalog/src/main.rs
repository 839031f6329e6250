//! `cargo run -p switchyard-catalog [-- --check]`: regenerate (or check) docs/api.md.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = match switchyard_catalog::load(&root) {
        Ok(docs) => docs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rendered = switchyard_catalog::render(&docs);
    let path = root.join("docs/api.md");
    if std::env::args().any(|a| a == "--check") {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != rendered {
            eprintln!("docs/api.md is stale: run `cargo run -p switchyard-catalog`");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&path, rendered) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {} ({} functions)", path.display(), docs.len());
    ExitCode::SUCCESS
}

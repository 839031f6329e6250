//! `cargo run -p switchyard-catalog [-- --check]`: regenerate (or check) docs/openapi.json and docs/api.md.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let deployment = match switchyard_catalog::load(&root) {
        Ok(deployment) => deployment,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let document = switchyard_catalog::openapi(&deployment);
    let files = [
        ("docs/openapi.json", switchyard_catalog::openapi_text(&document)),
        ("docs/api.md", switchyard_catalog::render(&document, &deployment)),
        ("docs/mcp-tools.json", switchyard_catalog::openapi_text(&switchyard_catalog::mcp_tools())),
    ];
    let check = std::env::args().any(|a| a == "--check");
    for (file, rendered) in files {
        let path = root.join(file);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(rendered.as_str()) {
                eprintln!("{file} is stale: run `cargo run -p switchyard-catalog`");
                return ExitCode::FAILURE;
            }
            continue;
        }
        if let Err(e) = std::fs::write(&path, rendered) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {file}");
    }
    ExitCode::SUCCESS
}

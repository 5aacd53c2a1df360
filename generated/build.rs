//! Runs codegen over `../spec` and writes the server's generated sources to `OUT_DIR`.
//!
//! A spec mistake fails the build with `spec/<file>:<line>:<column>: <sentence>` for every
//! problem found. The migrations and OpenAPI documents are also copied to `artifacts/` in
//! this crate, where they are committed for reviewers and SDK generators.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let spec_dir = manifest.join("..").join("spec");
    // The folder itself, so that adding or removing a spec file reruns codegen.
    println!("cargo:rerun-if-changed={}", spec_dir.display());
    let artifacts = match codegen::generate_dir(&spec_dir) {
        Ok(a) => a,
        Err(codegen::Error::Spec(diags)) => {
            eprintln!("error: the spec has {} problem(s):", diags.len());
            for d in &diags {
                eprintln!("  spec/{d}");
            }
            std::process::exit(1);
        }
        Err(e) => return Err(e.into()),
    };
    for input in &artifacts.inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    artifacts.write_to(&out)?;
    artifacts.write_to(&manifest.join("artifacts"))?;
    // catalog.rs is compiled from OUT_DIR; the committed copy is for reading only.
    Ok(())
}

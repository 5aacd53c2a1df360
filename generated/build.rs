//! Runs codegen over `../spec` and writes the server's generated sources to `OUT_DIR`.
//!
//! A spec mistake fails the build with `spec/<file>:<line>:<column>: <sentence>` for every
//! problem found. The migrations and OpenAPI documents are also copied to `artifacts/` in
//! this crate, where they are committed for reviewers and SDK generators.
//!
//! `artifacts/migrations/` is also the build's input: the committed migrations with the
//! snapshot of the model the latest leaves behind. When the spec differs from that
//! snapshot, the build adds the next migration (and its snapshot) there; one that would
//! destroy data fails the build unless the spec lists it under `allow_destructive`.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let spec_dir = manifest.join("..").join("spec");
    let artifacts_dir = manifest.join("artifacts");
    let migrations_dir = artifacts_dir.join("migrations");
    // The folders themselves, so that adding or removing a spec file or a migration reruns
    // codegen.
    println!("cargo:rerun-if-changed={}", spec_dir.display());
    println!("cargo:rerun-if-changed={}", migrations_dir.display());
    let artifacts = match codegen::generate_project(&spec_dir, &migrations_dir) {
        Ok(a) => a,
        Err(codegen::Error::Spec(diags)) => {
            eprintln!("error: the spec has {} problem(s):", diags.len());
            for d in &diags {
                eprintln!("  spec/{d}");
            }
            std::process::exit(1);
        }
        Err(codegen::Error::Destructive(refusals)) => {
            eprintln!(
                "error: {} spec change(s) would destroy data, so no migration was written:",
                refusals.len()
            );
            for r in &refusals {
                eprintln!("  spec/{}: {}: {}", r.file, r.change, r.reason);
            }
            eprintln!("if that is intended, list the change(s) in a spec file and build again:");
            eprintln!("allow_destructive:");
            for r in &refusals {
                eprintln!("  - {}", r.change);
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
    artifacts.write_to(&artifacts_dir)?;
    // catalog.rs is compiled from OUT_DIR; the committed copy is for reading only.
    if let Some(file) = &artifacts.new_migration {
        println!(
            "cargo:warning=the spec changed: wrote generated/artifacts/migrations/{file} and its snapshot; review and commit them"
        );
    }
    for entry in &artifacts.unused_allowances {
        println!(
            "cargo:warning=allow_destructive entry `{entry}` allows no change of this build; remove it once its migration is committed"
        );
    }
    Ok(())
}

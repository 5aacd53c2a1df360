//! Prints the SDK OpenAPI document of a spec folder: `cargo run -p codegen --example sdk_openapi -- spec`.
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "spec".into());
    let (files, _) = codegen::read_spec_dir(std::path::Path::new(&dir)).expect("spec folder");
    let ir = codegen::lower::lower(&files).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    print!("{}", codegen::emit::openapi_api::emit_sdk_openapi(&ir));
}

//! Prints what codegen makes of a spec folder: `cargo run -p codegen --example gen -- spec out/`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec = args.get(1).map(String::as_str).unwrap_or("spec");
    match codegen::generate_dir(std::path::Path::new(spec)) {
        Ok(a) => {
            if let Some(out) = args.get(2) {
                a.write_to(std::path::Path::new(out)).expect("write");
            } else {
                for m in &a.migrations {
                    print!("{}", m.sql);
                }
                print!("{}", a.rust);
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

//! `ferrobase`: the generated server's command line.

fn main() -> std::process::ExitCode {
    runtime::cli::main(&generated::CATALOG)
}

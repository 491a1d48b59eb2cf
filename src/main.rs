//! The `syndic` binary: everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    syndic::cli::run()
}

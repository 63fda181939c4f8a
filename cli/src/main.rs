//! `minqing`: see `app.rs`.

fn main() -> std::process::ExitCode {
    minqing_cli::app::main()
}

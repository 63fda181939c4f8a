//! The real `minqing` desktop command line, built inside the e2e crate so tests
//! can run it as a process next to the real server.

fn main() -> std::process::ExitCode {
    minqing_cli::app::main()
}

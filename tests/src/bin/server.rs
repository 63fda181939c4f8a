//! The real `minqing-server` command line, built inside the e2e crate so tests
//! can start, kill and restart it as a process.

fn main() {
    minqing_server::cli::main();
}

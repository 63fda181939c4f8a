//! `minqing-server`: see `cli.rs`.

fn main() {
    minqing_server::cli::main();
}

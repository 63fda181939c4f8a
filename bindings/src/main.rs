//! The `uniffi-bindgen` command, built from the same pinned uniffi version as the
//! core, so generated code always matches the library's scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main()
}

//! End-to-end tests across crates live in `tests/tests/`; `src/bin/` holds the
//! helper programs they drive (e.g. the crash hammer that gets SIGKILLed).

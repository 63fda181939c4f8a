//! Helpers for the end-to-end tests: a real server process ([`server`]) and a
//! TCP proxy that injects network faults between device and server ([`proxy`]).

pub mod devices;
pub mod moto;
pub mod proxy;
pub mod server;

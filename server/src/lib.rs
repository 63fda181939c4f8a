//! The Minqing cloud platform: the sync API (push, pull, photo uploads, live
//! pokes), login, and the directory of who is who. See README.md for a map.

pub mod access;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod http;
pub mod outreach;
pub mod pokes;
pub mod push;
pub mod report;
pub mod secret;
pub mod seed;
pub mod serve;
pub mod service;
pub mod shutdown;
pub mod sms;
pub mod store;
pub mod throttle;
pub mod uploads;
pub mod workflow;

pub use store::{Db, PullResult, PushError, PushResult};

//! The storage backends for tests: a SQLite file in a temp dir, and a fresh
//! PostgreSQL database per test (created beside `MINQING_TEST_DATABASE_URL`,
//! which `scripts/pg.sh` starts and exports). Without that variable PostgreSQL
//! tests fail under CI (`CI` set) and are skipped, with a note, elsewhere.
//!
//! `on_both_backends!(test_a, test_b)` turns each `fn test_a(db: Db)` into the
//! tests `test_a::sqlite` and `test_a::postgres`.

#![allow(dead_code)]

use minqing_server::Db;

pub const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";

/// The PostgreSQL server for tests, or `None` (skip) outside CI.
pub fn pg_base_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{URL_VAR} is not set, and CI is: start PostgreSQL with `eval \"$(scripts/pg.sh)\"` \
             (scripts/test.sh does) so the PostgreSQL tests run"
        ),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (run `eval \"$(scripts/pg.sh)\"`)");
            None
        }
    }
}

/// The URL of a new, empty PostgreSQL database of this test's own.
pub fn fresh_pg_url() -> Option<String> {
    let base = pg_base_url()?;
    Some(
        minqing_server::store::pg::create_scratch_database(&base)
            .unwrap_or_else(|e| panic!("create a test database on {base}: {e}")),
    )
}

pub fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let db = Db::open(&dir.path().join("server.db")).expect("open sqlite");
    (db, dir)
}

pub fn postgres() -> Option<Db> {
    let url = fresh_pg_url()?;
    Some(Db::connect_postgres(&url).expect("connect postgres"))
}

#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let (db, _dir) = $crate::support::db::sqlite();
                super::$name(db);
            }

            #[test]
            fn postgres() {
                if let Some(db) = $crate::support::db::postgres() {
                    super::$name(db);
                }
            }
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;

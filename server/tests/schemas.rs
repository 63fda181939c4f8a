//! Both databases hold the same schema: the same tables, the same columns in
//! the same order (same nullability, same kind of value), the same primary
//! keys and the same indexes — the SQL written once (`store::sql`) relies on
//! it. Types are compared by kind: SQLite's `INTEGER` is PostgreSQL's
//! `BIGINT`, `BIGSERIAL` or `BOOLEAN` (SQLite stores booleans as 0/1).
//! Needs `MINQING_TEST_DATABASE_URL` (fails under CI without it).

mod support;

use postgres::NoTls;
use std::collections::BTreeMap;

/// table → (columns "name kind null", primary key, indexes "name unique (cols)").
type Shape = BTreeMap<String, (Vec<String>, Vec<String>, Vec<String>)>;

fn kind(sql_type: &str) -> &'static str {
    match sql_type.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "boolean" | "bigserial" => "integer",
        "text" => "text",
        "real" | "double precision" => "real",
        _ => "other",
    }
}

fn sqlite_shape(path: &std::path::Path) -> Shape {
    let conn = rusqlite::Connection::open(path).expect("open");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut out = Shape::new();
    for t in tables {
        let mut cols = Vec::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({t})"))
            .expect("info");
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .expect("cols");
        for row in rows {
            let (name, ty, notnull, pk_pos) = row.expect("col");
            // SQLite lets a PRIMARY KEY column be NULL unless it says NOT
            // NULL; PostgreSQL never does. Compare what the data allows in
            // practice: a key column is never NULL.
            let null = !(notnull || pk_pos > 0);
            cols.push(format!("{name} {} null={null}", kind(&ty)));
            if pk_pos > 0 {
                pk.push((pk_pos, name));
            }
        }
        pk.sort();
        let mut idx = Vec::new();
        let list: Vec<(String, bool, String)> = conn
            .prepare(&format!("PRAGMA index_list({t})"))
            .expect("indexes")
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (name, unique, origin) in list {
            // Indexes SQLite makes for PRIMARY KEY and UNIQUE constraints
            // have generated names: named by their columns here and below.
            let cols: Vec<String> = conn
                .prepare(&format!("PRAGMA index_info({name})"))
                .expect("index info")
                .query_map([], |r| r.get(2))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            if origin == "pk" {
                continue;
            }
            let label = if origin == "u" {
                format!("{t}_{}_key", cols.join("_"))
            } else {
                name
            };
            idx.push(format!("{label} unique={unique} ({})", cols.join(", ")));
        }
        idx.sort();
        out.insert(t, (cols, pk.into_iter().map(|(_, n)| n).collect(), idx));
    }
    out
}

fn pg_shape(url: &str) -> Shape {
    let mut c = postgres::Client::connect(url, NoTls).expect("connect");
    let mut out = Shape::new();
    for r in c
        .query(
            "SELECT table_name, column_name, data_type, is_nullable
             FROM information_schema.columns WHERE table_schema = 'public'
               AND table_name <> 'schema_version'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .expect("columns")
    {
        let (t, name, ty, null): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        out.entry(t)
            .or_default()
            .0
            .push(format!("{name} {} null={}", kind(&ty), null == "YES"));
    }
    for r in c
        .query(
            "SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary,
                    array_agg(a.attname ORDER BY k.ord)
             FROM pg_index ix
             JOIN pg_class i ON i.oid = ix.indexrelid
             JOIN pg_class t ON t.oid = ix.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE n.nspname = 'public' AND t.relname <> 'schema_version'
             GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary",
            &[],
        )
        .expect("indexes")
    {
        let (t, name, unique, primary, cols): (String, String, bool, bool, Vec<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let entry = out.entry(t.clone()).or_default();
        if primary {
            entry.1 = cols;
        } else {
            entry
                .2
                .push(format!("{name} unique={unique} ({})", cols.join(", ")));
        }
    }
    for v in out.values_mut() {
        v.2.sort();
    }
    out
}

#[test]
fn both_fresh_schemas_have_the_same_tables_columns_keys_and_indexes() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("server.db");
    drop(minqing_server::Db::open(&path).expect("sqlite"));
    drop(minqing_server::Db::connect_postgres(&url).expect("postgres"));
    let (lite, pg) = (sqlite_shape(&path), pg_shape(&url));
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        pg.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (table, l) in &lite {
        assert_eq!(Some(l), pg.get(table), "table {table}");
    }
    assert!(lite.len() >= 15, "{} tables", lite.len());
}

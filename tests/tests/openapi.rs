//! The OpenAPI document the server serves matches what it routes: every
//! documented operation reaches a handler (never the 404/405 of an unknown
//! route), and undocumented paths do not exist.

use minqing_e2e::server::ServerProc;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let dir = tempfile::tempdir().expect("dir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"));
    let server = ServerProc::start(&bin, dir.path(), "127.0.0.1:0");
    let http = reqwest::Client::new();
    let doc: serde_json::Value = http
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut n = 0;
    for (path, ops) in paths {
        let concrete = path.replace("{id}", "0190f4a2-7b1e-7c3d-8e4f-5a6b7c8d9e0f");
        for method in ops.as_object().expect("ops").keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = http
                .request(m, format!("{}{concrete}", server.url))
                .header("minqing-protocol", "1")
                .header("tus-resumable", "1.0.0")
                .send()
                .await
                .expect("send");
            let st = r.status().as_u16();
            assert!(
                st != 404 && st != 405,
                "{method} {path} is documented but answered {st}"
            );
            let documented = ops[method]["responses"]
                .as_object()
                .expect("responses")
                .contains_key(&st.to_string());
            assert!(
                documented,
                "{method} {path} answered {st}, which it does not document"
            );
            n += 1;
        }
    }
    // The document is generated from the router (ADR 0016), so its size is
    // not a drift guard; the role × operation matrix
    // (server/tests/access_matrix.rs) holds a row for each operation.
    assert!(n >= 60, "{n} operations documented");
    for undocumented in [
        "/v1/admin",
        "/v1/tickets",
        "/v2/sync/push",
        "/v1/uploads/x/y",
    ] {
        let r = http
            .get(format!("{}{undocumented}", server.url))
            .send()
            .await
            .expect("send");
        assert!(
            r.status() == 404 || r.status() == 405,
            "{undocumented}: {}",
            r.status()
        );
    }
}

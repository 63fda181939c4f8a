//! Push end to end (issue 12): a real `minqing-server` process configured
//! with a Huawei HMS Push Kit endpoint that is the fake vendor of
//! `server/tests/support/push_vendors.rs` (token grant and `messages:send`
//! checked as Huawei documents them); two phone cores over HTTP. The
//! deputy's core registers its HMS token through `register_push_token` (the
//! Android shell's `PushProvider` does exactly this) and the sync loop sends
//! it (`POST /v1/devices`); the unit claims her item; her device gets exactly
//! one push at the vendor, with the right text and data, within a recorded
//! time; and the core, told of the push (`on_push`, as the shell does when
//! the vendor's message arrives), syncs and has the claim. The CLI
//! registers a test token (`minqing push-token`) that a new item then reaches.

#[path = "../../server/tests/support/push_vendors.rs"]
mod push_vendors;

use minqing_core::api_sync::PushProvider;
use minqing_core::screens::ActionInput;
use minqing_e2e::devices::{drained, login, open, wait_for};
use minqing_e2e::server::ServerProc;
use minqing_protocol::TicketState;
use push_vendors::{FakeVendors, HMS_APP, HMS_SECRET};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_reaches_the_deputys_phone_once_and_the_core_syncs_on_it() {
    let fakes = FakeVendors::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = hms_config(dir.path(), "server", &fakes);
    let server = ServerProc::start_with(
        &bin(),
        &dir.path().join("server"),
        "127.0.0.1:0",
        &["--config", &config],
    );

    // The deputy's phone: logged in, its HMS token registered through the
    // core, the sync loop running; sent to the server by the next pass.
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &server, &server.url, "陆靖英").await;
    let token = "IQAAAACy0kYkAAAgSlZQ_deputy_test_token";
    deputy
        .account()
        .register_push_token(PushProvider::Hms, token.into())
        .expect("register");
    let _sync = deputy.sync().start().expect("loop");
    wait_for("the token registered", Duration::from_secs(20), || {
        deputy
            .account()
            .push_registration()
            .ok()
            .flatten()
            .is_some_and(|r| r.sent)
    })
    .await;

    // She files an item; it reaches the server.
    let draft = deputy.drafts().create().expect("draft");
    deputy
        .drafts()
        .set_text(
            draft.id.clone(),
            "水月亭路窨井盖不闭合，住户张三反映".into(),
        )
        .expect("text");
    let item = deputy.drafts().submit(draft.id).expect("submit").id;
    wait_for("submitted", Duration::from_secs(20), || drained(&deputy)).await;
    // In the background (no live stream): only a push or a timer wakes it.
    deputy.sync().set_foreground(false);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The unit's contact claims it from another phone.
    let contact = open(dir.path(), "contact");
    login(&contact, &server, &server.url, "移动联络员").await;
    contact.sync().now().await.expect("contact pulls");
    contact
        .tickets()
        .act(item.clone(), ActionInput::Claim)
        .expect("claim");
    let claimed_at = minqing_server::store::now_ms();
    contact
        .sync()
        .now()
        .await
        .expect("contact pushes the claim");

    // Exactly one push to the deputy's token, in Chinese, naming the unit
    // and not the item's text, with the item in its data.
    let got = fakes
        .wait_until(Duration::from_secs(20), |r| {
            r.iter().any(|x| x.token == token && x.kind == "claimed")
        })
        .await;
    let claimed: Vec<_> = got
        .iter()
        .filter(|x| x.token == token && x.kind == "claimed")
        .collect();
    assert_eq!(claimed.len(), 1, "{got:?}");
    let p = claimed[0];
    let latency = p.at_ms - claimed_at;
    eprintln!("claim pushed → HMS request: {latency} ms");
    assert!(latency < 5_000, "{latency} ms");
    assert_eq!(p.vendor, "hms");
    assert_eq!(p.ticket, item);
    assert_eq!(p.title, "民情直通车");
    assert_eq!(p.body, "中国移动海宁分公司已接单，您反映的事项正在办理。");
    assert!(got
        .iter()
        .all(|x| !x.body.contains("窨井") && !x.body.contains("张三")));
    assert!(fakes.violations().is_empty(), "{:?}", fakes.violations());

    // The phone has not heard of the claim yet; the push makes it sync.
    let state = |d: &minqing_core::Minqing| d.tickets().detail(item.clone()).expect("item").state;
    assert_eq!(state(&deputy), TicketState::Pool);
    let told = Instant::now();
    deputy.sync().on_push(format!(
        "{{\"ticket\":\"{item}\",\"kind\":\"claimed\",\"action\":\"sync\"}}"
    ));
    wait_for(
        "the core synced on the push",
        Duration::from_secs(20),
        || state(&deputy) == TicketState::Accepted,
    )
    .await;
    eprintln!(
        "on_push → the claim on the phone: {} ms",
        told.elapsed().as_millis()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = fakes
        .received()
        .iter()
        .filter(|x| x.token == token && x.kind == "claimed")
        .count();
    assert_eq!(again, 1, "one push, not two");

    // The CLI registers a test token the same way (a desktop as a phone):
    // the next new item in the pool reaches it through MiPush's fake.
    let cli_dir = dir.path().join("cli");
    let phone = server.phone("住建联络员");
    ok(&minqing(
        &cli_dir,
        &server.url,
        &["login", "--phone", &phone],
    ));
    let code = server.code_for(&phone);
    ok(&minqing(
        &cli_dir,
        &server.url,
        &["login", "--phone", &phone, "--code", &code],
    ));
    let out = ok(&minqing(
        &cli_dir,
        &server.url,
        &[
            "push-token",
            "--provider",
            "hms",
            "--token",
            "hms-cli-test-token",
        ],
    ));
    assert!(out.contains("推送令牌已登记"), "{out}");
    deputy.sync().set_foreground(true);
    let draft = deputy.drafts().create().expect("draft");
    deputy
        .drafts()
        .set_text(draft.id.clone(), "方便桥路灯不亮".into())
        .expect("text");
    let second = deputy.drafts().submit(draft.id).expect("submit").id;
    let got = fakes
        .wait_until(Duration::from_secs(20), |r| {
            r.iter().any(|x| x.token == "hms-cli-test-token")
        })
        .await;
    let to_cli: Vec<_> = got
        .iter()
        .filter(|x| x.token == "hms-cli-test-token")
        .collect();
    assert_eq!(to_cli.len(), 1, "{got:?}");
    assert_eq!(
        (to_cli[0].kind.as_str(), to_cli[0].ticket.as_str()),
        ("submitted", second.as_str())
    );
}

/// Several instances for real: two `minqing-server serve` processes on one
/// PostgreSQL database, each with its own dispatcher and its own HMS endpoint
/// (a fake of its own, so each request shows which process sent it). The
/// deputy files 300 items, half through each process; every new item is a
/// notice for the unit contact's registered phone. Each notice reaches the
/// vendor exactly once, and both processes sent some (the delivery leases,
/// `FOR UPDATE SKIP LOCKED`, keep them from sending one twice). Needs
/// `MINQING_TEST_DATABASE_URL` (required under CI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgresql_push_each_notice_once() {
    const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";
    let base = match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var_os("CI").is_some() => panic!("{URL_VAR} is not set, and CI is"),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (run `eval \"$(scripts/pg.sh)\"`)");
            return;
        }
    };
    let url = tokio::task::spawn_blocking(move || {
        minqing_server::store::pg::create_scratch_database(&base).expect("scratch database")
    })
    .await
    .expect("join");
    let (fake_a, fake_b) = (FakeVendors::start().await, FakeVendors::start().await);
    fake_a.set_delay(Duration::from_millis(5));
    fake_b.set_delay(Duration::from_millis(5));
    let dir = tempfile::tempdir().expect("dir");
    let config_a = hms_config(dir.path(), "a", &fake_a);
    let config_b = hms_config(dir.path(), "b", &fake_b);
    let a = ServerProc::start_serve_with(
        &bin(),
        &dir.path().join("a"),
        "127.0.0.1:0",
        &url,
        true,
        &["--config", &config_a],
    );
    let mut b = ServerProc::start_serve_with(
        &bin(),
        &dir.path().join("b"),
        "127.0.0.1:0",
        &url,
        false,
        &["--config", &config_b],
    );
    b.phones = a.phones.clone();

    // The unit's contact registers the phone's HMS token (through A).
    let token = "IQAAAACy0kYkAAAgSlZQ_contact_two_servers";
    let contact = open(dir.path(), "contact");
    login(&contact, &a, &a.url, "移动联络员").await;
    contact
        .account()
        .register_push_token(PushProvider::Hms, token.into())
        .expect("register");
    contact.sync().now().await.expect("the token sent");
    assert!(contact
        .account()
        .push_registration()
        .ok()
        .flatten()
        .is_some_and(|r| r.sent));

    // The deputy files 150 items through A, then 150 through B (a load
    // balancer sending her phone to one process, then the other).
    const N: usize = 300;
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &a, &a.url, "陆靖英").await;
    let to_contact = |f: &FakeVendors| {
        f.received()
            .into_iter()
            .filter(|x| x.token == token && x.kind == "submitted")
            .map(|x| x.ticket)
            .collect::<Vec<_>>()
    };
    // Which dispatcher takes a delivery is a race (both hear every commit),
    // so a round may go all to one process; rounds follow until both have
    // sent some (at most three), each notice checked to go out exactly once.
    let mut items = Vec::new();
    let mut rounds = 0;
    let (sent_a, sent_b) = loop {
        rounds += 1;
        for (half, server) in [&a, &b].into_iter().enumerate() {
            deputy
                .sync()
                .set_server(server.url.clone())
                .expect("server");
            for i in 0..N / 2 {
                let draft = deputy.drafts().create().expect("draft");
                deputy
                    .drafts()
                    .set_text(
                        draft.id.clone(),
                        format!("第{rounds}轮第{}件：路灯不亮", half * N / 2 + i),
                    )
                    .expect("text");
                items.push(deputy.drafts().submit(draft.id).expect("submit").id);
            }
            deputy.sync().now().await.expect("pushed");
            assert!(drained(&deputy));
        }
        wait_for("every notice sent", Duration::from_secs(60), || {
            to_contact(&fake_a).len() + to_contact(&fake_b).len() >= rounds * N
        })
        .await;
        // Time for a second send, were there one.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (sent_a, sent_b) = (to_contact(&fake_a), to_contact(&fake_b));
        eprintln!(
            "after round {rounds}: process A sent {}, process B sent {}",
            sent_a.len(),
            sent_b.len()
        );
        let mut sent: Vec<String> = sent_a.iter().chain(&sent_b).cloned().collect();
        assert_eq!(sent.len(), rounds * N, "each notice once");
        sent.sort();
        sent.dedup();
        items.sort();
        assert_eq!(sent, items, "every item's notice, none twice");
        if (!sent_a.is_empty() && !sent_b.is_empty()) || rounds == 3 {
            break (sent_a, sent_b);
        }
    };
    assert!(
        !sent_a.is_empty() && !sent_b.is_empty(),
        "both processes dispatched: A {}, B {}",
        sent_a.len(),
        sent_b.len()
    );
    assert!(fake_a.violations().is_empty(), "{:?}", fake_a.violations());
    assert!(fake_b.violations().is_empty(), "{:?}", fake_b.violations());
}

/// A server configuration file `<name>.toml` in `dir` sending HMS pushes to
/// `fake` (polling for due deliveries every 200 ms); its path.
fn hms_config(dir: &std::path::Path, name: &str, fake: &FakeVendors) -> String {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[push]\npoll_ms = 200\n\n[push.hms]\nbase_url = \"{url}\"\n\
             token_url = \"{url}/hms/oauth2/v3/token\"\napp_id = \"{HMS_APP}\"\n\
             client_secret = \"{HMS_SECRET}\"\n",
            url = fake.url
        ),
    )
    .expect("config");
    path.to_string_lossy().into_owned()
}

fn minqing(dir: &std::path::Path, server: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_e2e-minqing"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--server", server])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run minqing")
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

//! What the phone shells ask the core to decide for them: a manual place from
//! an address and map coordinates, and whether the account reports items.

use minqing_capture::geo::{haversine_m, wgs84_to_gcj02};
use minqing_core::store::meta_set;
use minqing_core::{Minqing, MinqingError};
use minqing_protocol::wire::Me;
use minqing_protocol::{LocationSource, Role, UserId};

fn open(dir: &std::path::Path) -> Minqing {
    Minqing::open_at(dir.to_path_buf()).expect("open")
}

#[test]
fn a_manual_place_is_read_from_map_coordinates_and_kept_in_wgs84() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let draft = core.drafts().create().expect("draft");
    // 方便桥, as AMap copies it: "longitude,latitude" in GCJ-02.
    let (wlat, wlon) = (30.5128, 120.6852);
    let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
    let view = core
        .drafts()
        .set_manual_place(
            draft.id.clone(),
            "  水月亭路方便桥东侧 ".into(),
            format!("{glon:.6},{glat:.6}"),
        )
        .expect("manual place");
    let loc = view.location.expect("a place");
    assert_eq!(loc.source, LocationSource::Manual);
    assert_eq!(loc.address.as_deref(), Some("水月亭路方便桥东侧"));
    assert!(haversine_m(loc.latitude, loc.longitude, wlat, wlon) < 0.5);
    assert!((loc.gcj02_latitude - glat).abs() < 1e-5);

    // Unreadable coordinates: a message to show, the place unchanged.
    let err = core
        .drafts()
        .set_manual_place(draft.id.clone(), "别处".into(), "水月亭路".into())
        .unwrap_err();
    assert!(
        matches!(&err, MinqingError::Invalid { reason } if reason.contains("纬度")),
        "{err:?}"
    );
    let kept = core.drafts().get(draft.id).expect("draft");
    assert_eq!(
        kept.location.and_then(|l| l.address).as_deref(),
        Some("水月亭路方便桥东侧")
    );
}

#[test]
fn only_deputies_get_the_report_button() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    assert!(core.account().current().expect("account").is_none());
    for (role, can) in [
        (Role::CityDeputy, true),
        (Role::TownDeputy, true),
        (Role::UnitContact, false),
        (Role::UnitHead, false),
        (Role::Coordinator, false),
        (Role::CityStaff, false),
        (Role::Admin, false),
    ] {
        let me = Me {
            user: UserId::new(),
            name: "测试".into(),
            role,
            unit: None,
            groups: vec![],
            jurisdiction: None,
        };
        core.store()
            .write(|tx| meta_set(tx, "me", &serde_json::to_string(&me).expect("json")))
            .expect("me");
        let account = core.account().current().expect("account").expect("in");
        assert_eq!(account.can_report, can, "{role:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_forgets_the_account_even_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    core.sync()
        .set_server("http://127.0.0.1:9".into())
        .expect("url");
    let me = Me {
        user: UserId::new(),
        name: "陆靖英".into(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![],
        jurisdiction: None,
    };
    core.store()
        .write(|tx| {
            meta_set(tx, "me", &serde_json::to_string(&me).expect("json"))?;
            minqing_core::store::meta_set_sealed(tx, "access_token", "token")
        })
        .expect("me");
    let draft = core.drafts().create().expect("draft");
    core.drafts()
        .set_text(draft.id.clone(), "路灯不亮".into())
        .expect("text");
    core.drafts().submit(draft.id).expect("submit");
    assert!(core.account().current().expect("account").is_some());

    core.account().logout().await.expect("logout offline");
    assert!(core.account().current().expect("account").is_none());
    assert_eq!(
        core.sync().outbox().expect("queue").len(),
        1,
        "the queue stays"
    );
}

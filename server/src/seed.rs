//! Demo reference data for Haining: the 12 towns and streets, the 12 direct-line
//! groups, units (departments, town governments, street offices, a telecom
//! operator), and people in every role. Phone numbers are fictitious (the
//! 138-0057-xxxx block); division codes are placeholders, not GB/T 2260 codes.

use crate::auth::hash_password;
use crate::store::directory::{NewGroup, NewUnit, NewUser};
use crate::store::{Db, StoreError};
use minqing_protocol::wire::Jurisdiction;
use minqing_protocol::{Action, GroupId, Role, UnitId, UserId};

/// (id, 中文名, English name, kind)
pub const JURISDICTIONS: [(&str, &str, &str, &str); 12] = [
    ("xiashi", "硖石街道", "Xiashi Street", "street"),
    ("haizhou", "海洲街道", "Haizhou Street", "street"),
    ("haichang", "海昌街道", "Haichang Street", "street"),
    ("maqiao", "马桥街道", "Maqiao Street", "street"),
    ("xucun", "许村镇", "Xucun Town", "town"),
    ("changan", "长安镇", "Chang'an Town", "town"),
    ("zhouwangmiao", "周王庙镇", "Zhouwangmiao Town", "town"),
    ("yanguan", "盐官镇", "Yanguan Town", "town"),
    ("dingqiao", "丁桥镇", "Dingqiao Town", "town"),
    ("xieqiao", "斜桥镇", "Xieqiao Town", "town"),
    ("yuanhua", "袁花镇", "Yuanhua Town", "town"),
    ("huangwan", "黄湾镇", "Huangwan Town", "town"),
];

/// One person the demo prints, so a developer can log in as them.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub phone: String,
    pub group: String,
    pub password: Option<String>,
}

fn random_password() -> String {
    let mut b = [0u8; 9];
    getrandom::fill(&mut b).expect("the operating system's random source");
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Seed an empty directory; returns the people to print. Does nothing (and
/// returns an empty list) when users exist already.
pub fn seed_demo(db: &Db) -> Result<Vec<DemoUser>, StoreError> {
    if !db.directory_is_empty()? {
        return Ok(Vec::new());
    }
    let mut printed = Vec::new();
    let mut next_phone = 1u32;
    let mut phone = || {
        let p = format!("1380057{next_phone:04}");
        next_phone += 1;
        p
    };

    // Jurisdictions: the city and its 12 streets and towns (placeholder codes).
    db.upsert_jurisdiction(&Jurisdiction {
        code: "haining".into(),
        name_zh: "海宁市".into(),
        name_en: "Haining".into(),
        kind: "city".into(),
        parent: None,
    })?;
    for (code, zh, en, kind) in JURISDICTIONS {
        db.upsert_jurisdiction(&Jurisdiction {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            kind: kind.into(),
            parent: Some("haining".into()),
        })?;
    }

    // Units: city departments, every town government / street office, a telecom operator.
    let mobile = UnitId::new();
    db.insert_unit(&NewUnit {
        id: mobile,
        name_zh: "中国移动海宁分公司",
        name_en: "China Mobile Haining",
        kind: "company",
        key: Some("mobile"),
    })?;
    let housing = UnitId::new();
    db.insert_unit(&NewUnit {
        id: housing,
        name_zh: "市住房和城乡建设局",
        name_en: "City Housing and Construction Bureau",
        kind: "department",
        key: Some("housing"),
    })?;
    let enforcement = UnitId::new();
    db.insert_unit(&NewUnit {
        id: enforcement,
        name_zh: "市综合行政执法局",
        name_en: "City Administrative Enforcement Bureau",
        kind: "department",
        key: Some("enforcement"),
    })?;
    let traffic = UnitId::new();
    db.insert_unit(&NewUnit {
        id: traffic,
        name_zh: "市公安局交警大队",
        name_en: "City Traffic Police",
        kind: "department",
        key: Some("traffic"),
    })?;
    let mut local_units = Vec::new();
    for (code, zh, en, kind) in JURISDICTIONS {
        let id = UnitId::new();
        let key = format!("local:{code}");
        let (name_zh, name_en) = if kind == "street" {
            (format!("{zh}办事处"), format!("{en} Office"))
        } else {
            (format!("{zh}人民政府"), format!("{en} Government"))
        };
        db.insert_unit(&NewUnit {
            id,
            name_zh: &name_zh,
            name_en: &name_en,
            kind,
            key: Some(&key),
        })?;
        local_units.push((code, id));
    }

    // Groups: one per town (two for Chang'an, the largest: 9 in all) and three
    // for the streets (海昌 has its own, 硖石 its own, the other streets share one).
    let mut groups: Vec<(GroupId, String, &str)> = Vec::new();
    let mut add_group = |zh: String, en: String, jurisdiction: &'static str| {
        let id = GroupId::new();
        db.insert_group(&NewGroup {
            id,
            name_zh: &zh,
            name_en: &en,
            jurisdiction,
        })
        .map(|_| groups.push((id, zh, jurisdiction)))
    };
    add_group(
        "三个街道民情直通车".into(),
        "Three Streets Direct Line".into(),
        "haizhou",
    )?;
    add_group(
        "硖石街道民情直通车".into(),
        "Xiashi Direct Line".into(),
        "xiashi",
    )?;
    add_group(
        "海昌街道民情直通车".into(),
        "Haichang Direct Line".into(),
        "haichang",
    )?;
    for (code, zh, en, kind) in JURISDICTIONS {
        if kind == "town" {
            add_group(format!("{zh}民情直通车"), format!("{en} Direct Line"), code)?;
        }
    }
    add_group(
        "长安镇民情直通车（二）".into(),
        "Chang'an Direct Line 2".into(),
        "changan",
    )?;

    let mut add = |name: &str,
                   role: Role,
                   unit: Option<UnitId>,
                   jurisdiction: Option<&str>,
                   member_of: &[GroupId],
                   staff_password: bool|
     -> Result<(), StoreError> {
        let p = phone();
        let password = staff_password.then(random_password);
        let id = UserId::new();
        db.insert_user(&NewUser {
            id,
            phone: &p,
            name,
            role,
            unit,
            jurisdiction,
            password_hash: password.as_deref().map(hash_password),
            groups: member_of.to_vec(),
        })?;
        let group = member_of
            .first()
            .and_then(|g| groups.iter().find(|(id, _, _)| id == g))
            .map(|(_, n, _)| n.clone())
            .unwrap_or_default();
        printed.push(DemoUser {
            id,
            name: name.to_owned(),
            role,
            phone: p,
            group,
            password,
        });
        Ok(())
    };

    let all: Vec<GroupId> = groups.iter().map(|(id, _, _)| *id).collect();
    let streets = all[0];
    let xieqiao = groups
        .iter()
        .find(|(_, _, j)| *j == "xieqiao")
        .map(|(id, _, _)| *id)
        .unwrap_or(streets);
    // The seed article's people, in the seed's roles.
    add(
        "陆靖英",
        Role::CityDeputy,
        None,
        Some("haizhou"),
        &[streets],
        false,
    )?;
    add(
        "杜玉妹",
        Role::TownDeputy,
        None,
        Some("xieqiao"),
        &[xieqiao],
        false,
    )?;
    add(
        "王建国",
        Role::CityDeputy,
        None,
        Some("haizhou"),
        &[streets],
        false,
    )?;
    add("孟宪珂", Role::Coordinator, None, None, &[streets], true)?;
    add(
        "移动联络员",
        Role::UnitContact,
        Some(mobile),
        None,
        &all,
        false,
    )?;
    add(
        "移动负责人",
        Role::UnitHead,
        Some(mobile),
        None,
        &all,
        false,
    )?;
    add(
        "住建联络员",
        Role::UnitContact,
        Some(housing),
        None,
        &all,
        false,
    )?;
    add(
        "住建负责人",
        Role::UnitHead,
        Some(housing),
        None,
        &all,
        false,
    )?;
    add(
        "执法联络员",
        Role::UnitContact,
        Some(enforcement),
        None,
        &all,
        false,
    )?;
    add(
        "交警联络员",
        Role::UnitContact,
        Some(traffic),
        None,
        &all,
        false,
    )?;
    let haizhou_office = local_units
        .iter()
        .find(|(c, _)| *c == "haizhou")
        .map(|(_, id)| *id);
    add(
        "海洲街道联络员",
        Role::UnitContact,
        haizhou_office,
        None,
        &[streets],
        false,
    )?;
    add(
        "陈芊含",
        Role::TownStaff,
        None,
        Some("xieqiao"),
        &[xieqiao],
        true,
    )?;
    add(
        "市人大工作人员",
        Role::CityStaff,
        None,
        Some("haining"),
        &[],
        true,
    )?;
    add("系统管理员", Role::Admin, None, Some("haining"), &[], true)?;
    // Issue 13 (the staff console): 海洲街道's own staff member, beside 斜桥镇's
    // 陈芊含, and deputies of more groups, so the board has towns to compare.
    add(
        "沈晓燕",
        Role::TownStaff,
        None,
        Some("haizhou"),
        &[streets],
        true,
    )?;
    for (name, town) in [
        ("许建平", "xucun"),
        ("张丽华", "changan"),
        ("钱国强", "yanguan"),
        ("朱美琴", "xiashi"),
        ("顾志明", "haichang"),
    ] {
        let group = groups
            .iter()
            .find(|(_, _, j)| *j == town)
            .map(|(id, _, _)| *id)
            .unwrap_or(streets);
        add(name, Role::CityDeputy, None, Some(town), &[group], false)?;
    }
    Ok(printed)
}

/// One step of a demo item after its submission: who, what, how many hours
/// after the submission.
type Step = (&'static str, Action, i64);

/// Demo items (issue 13: something for the console to show), filed through
/// the push like a phone's, so the state machine, the routing rules and the
/// clocks decide as for real ones: the seed's manhole story on its day
/// (2020-10-04), then two dozen items over the last six weeks in several
/// towns and streets, in every state, some late (the escalation pass at the
/// end records their chases), some reviewed, two on an assignment list with
/// the government’s feedback, and weekly summaries. Only with `--demo-items`
/// (`demo`, or `serve --seed-demo`) on an empty database (`people` is what [`seed_demo`]
/// returned). Returns how many items were filed.
pub fn seed_demo_items(db: &Db, people: &[DemoUser], now: i64) -> Result<usize, String> {
    use minqing_protocol::{
        Actor, ClientId, EventId, Location, LocationSource, Mutation, MutationKind, NewTicket,
        OutcomePath, ReviewLevel, SourceChannel, TicketId,
    };
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let person = |name: &str| -> Result<Actor, String> {
        let p = people
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no demo person {name}"))?;
        let me = db.me(p.id).map_err(|e| err(&e))?.ok_or("gone")?;
        Ok(me.actor())
    };
    let (units, _, _) = db.admin_directory().map_err(|e| err(&e))?;
    let unit = |key: &str| -> Result<UnitId, String> {
        units
            .iter()
            .find(|u| u.key.as_deref() == Some(key))
            .and_then(|u| u.id.parse().ok())
            .ok_or_else(|| format!("no unit {key}"))
    };
    let push = |actor: &Actor, kind: MutationKind, at: i64| -> Result<(), String> {
        let client = ClientId::new();
        let m = Mutation {
            client_id: client,
            mutation_id: 1,
            kind,
        };
        let r = db.push(actor, client, &[m], at).map_err(|e| err(&e))?;
        match r.rejected.first() {
            Some(x) => Err(format!("demo step refused: {:?}", x.reason)),
            None => Ok(()),
        }
    };
    // Midnight, China time, of today.
    let today = (now + 8 * HOUR).div_euclid(DAY) * DAY - 8 * HOUR;

    #[allow(clippy::too_many_arguments)]
    let file = |deputy: &str,
                at: i64,
                text: &str,
                address: &str,
                (lat, lng): (f64, f64),
                category: Option<&str>,
                mention: Option<UnitId>,
                steps: Vec<Step>|
     -> Result<TicketId, String> {
        let d = person(deputy)?;
        let id = TicketId::new();
        let new = NewTicket {
            id,
            event: EventId::new(),
            group: d.groups.first().copied(),
            jurisdiction: None,
            category: category.map(str::to_owned),
            item: None,
            text: text.to_owned(),
            location: Some(Location {
                latitude: lat,
                longitude: lng,
                accuracy_m: Some(8.0),
                source: LocationSource::DeviceFix,
                address: Some(address.to_owned()),
            }),
            channel: SourceChannel::FieldCapture,
            constituent: None,
            mentioned_unit: mention,
            photo_count: 0,
        };
        push(&d, MutationKind::CreateTicket { ticket: new }, at)?;
        for (who, action, hours) in steps {
            let a = person(who)?;
            let kind = MutationKind::Act {
                ticket: id,
                event: EventId::new(),
                action,
            };
            push(&a, kind, at + hours * HOUR / 60)
                .map_err(|e| format!("{e} ({who} on “{text}”)"))?;
        }
        Ok(id)
    };
    let text = |s: &str| s.to_owned();
    let mobile = unit("mobile")?;

    // The seed's story, 4 October 2020 (China time; steps in minutes).
    let story = 1_601_772_480_000; // 2020-10-04 08:48
    file(
        "陆靖英",
        story,
        "水月亭路移动公司至方便桥之间的马路上有几个窨井盖不闭合，汽车开过砰砰作响，晚上影响附近居民睡眠",
        "海宁市水月亭路（移动公司至方便桥）",
        (30.5107, 120.6843),
        Some("C03"),
        None,
        vec![
            ("孟宪珂", Action::Ask { text: text("请看一下是哪类窨井盖，因为涉及不同的主管单位。") }, 1),
            ("陆靖英", Action::Answer { text: text("主要是移动的。") }, 3),
            ("孟宪珂", Action::Reassign { unit: mobile }, 5),
            ("移动联络员", Action::Claim, 20),
            ("移动联络员", Action::Decline { reason: text("派工作人员去看过，不是移动的。") }, 330),
            ("陆靖英", Action::Answer { text: text("再次确认：井盖上有“中国移动”字样，已拍照。") }, 540),
            ("孟宪珂", Action::Reassign { unit: mobile }, 542),
            ("移动负责人", Action::Claim, 545),
            ("移动负责人", Action::Ask { text: text("发个定位，我再派人去。") }, 546),
            ("陆靖英", Action::Answer { text: text("水月亭路移动公司门口往方便桥方向约50米。") }, 550),
            (
                "移动负责人",
                Action::Reply {
                    text: text("已处理好。"),
                    outcome: OutcomePath::HandledInGroup,
                },
                621,
            ),
            ("陆靖英", Action::Confirm { rating: Some(5) }, 640),
        ],
    )?;

    // Items of the last six weeks: (deputy, days ago, hour, text, address,
    // place, category, what happened).
    let housing = unit("housing")?;
    let xieqiao_gov = unit("local:xieqiao")?;
    type DemoItem = (
        &'static str,
        i64,
        i64,
        &'static str,
        &'static str,
        (f64, f64),
        &'static str,
        Vec<Step>,
    );
    let items: Vec<DemoItem> = vec![
        (
            "杜玉妹",
            40,
            9,
            "庆云路燃气警示桩冒出地面约20厘米，电动车经过容易绊倒，建议统一排查后入地",
            "斜桥镇庆云路",
            (30.4690, 120.5780),
            "C08",
            vec![
                ("住建联络员", Action::Claim, 120),
                (
                    "住建联络员",
                    Action::Reply {
                        text: text("已安排燃气公司排查，本月内整改入地。"),
                        outcome: OutcomePath::HandledByCityDepartment,
                    },
                    2000,
                ),
            ],
        ),
        (
            "杜玉妹",
            33,
            10,
            "斜桥中学门口早晚高峰车辆乱停，学生过马路不安全",
            "斜桥镇斜桥中学门口",
            (30.4712, 120.5811),
            "C04",
            vec![("交警联络员", Action::Claim, 60)],
        ),
        (
            "杜玉妹",
            12,
            15,
            "榨菜市场旁边的排水沟堵塞，下雨后积水严重",
            "斜桥镇榨菜市场东侧",
            (30.4675, 120.5752),
            "C09",
            vec![],
        ),
        (
            "杜玉妹",
            3,
            9,
            "庆云桥桥面有一处坑洞，夜间看不清",
            "斜桥镇庆云桥",
            (30.4701, 120.5798),
            "C03",
            vec![],
        ),
        (
            "杜玉妹",
            0,
            8,
            "镇卫生院门口公交站牌被撞歪",
            "斜桥镇卫生院门口",
            (30.4688, 120.5820),
            "C05",
            vec![],
        ),
        (
            "王建国",
            38,
            11,
            "工人路人行道地砖破损多处，老人行走不便",
            "海洲街道工人路",
            (30.5120, 120.6801),
            "C03",
            vec![
                ("住建联络员", Action::Claim, 30),
                (
                    "住建联络员",
                    Action::Reply {
                        text: text("已修复破损地砖12块。"),
                        outcome: OutcomePath::HandledByCityDepartment,
                    },
                    1500,
                ),
                ("王建国", Action::Confirm { rating: Some(4) }, 1700),
            ],
        ),
        (
            "王建国",
            20,
            14,
            "文宗路一段路灯连续多晚不亮",
            "海洲街道文宗路",
            (30.5090, 120.6770),
            "C07",
            vec![("孟宪珂", Action::Reassign { unit: housing }, 60)],
        ),
        (
            "陆靖英",
            9,
            16,
            "西山公园东门垃圾桶满溢，周末无人清运",
            "海洲街道西山公园东门",
            (30.5150, 120.6720),
            "C02",
            vec![],
        ),
        (
            "陆靖英",
            2,
            10,
            "人民路与海昌路口右转车道标线模糊",
            "海洲街道人民路海昌路口",
            (30.5101, 120.6866),
            "C04",
            vec![],
        ),
        (
            "陆靖英",
            0,
            9,
            "海宁中学北门外共享单车堆放占用盲道",
            "海洲街道海宁中学北门",
            (30.5131, 120.6850),
            "C01",
            vec![],
        ),
        (
            "朱美琴",
            30,
            9,
            "市区某路口红绿灯绿灯时间太短，老人过不去",
            "硖石街道硖石路口",
            (30.5080, 120.6930),
            "C04",
            vec![
                ("交警联络员", Action::Claim, 200),
                (
                    "交警联络员",
                    Action::Reply {
                        text: text("已将行人绿灯由25秒延长至35秒。"),
                        outcome: OutcomePath::HandledByCityDepartment,
                    },
                    20000,
                ),
            ],
        ),
        (
            "朱美琴",
            6,
            11,
            "东山脚下小区门口道路积水",
            "硖石街道东山小区门口",
            (30.5060, 120.6990),
            "C09",
            vec![],
        ),
        (
            "顾志明",
            25,
            10,
            "某小区电梯经常故障，物业维修不及时",
            "海昌街道某小区",
            (30.5200, 120.6600),
            "C10",
            vec![],
        ),
        (
            "顾志明",
            4,
            15,
            "海昌路辅道有大货车夜间违停",
            "海昌街道海昌路辅道",
            (30.5230, 120.6580),
            "C04",
            vec![],
        ),
        (
            "张丽华",
            28,
            9,
            "老街路灯不亮已有一周",
            "长安镇老街",
            (30.4620, 120.4550),
            "C07",
            vec![],
        ),
        (
            "张丽华",
            14,
            10,
            "长安高铁站出口出租车不打表",
            "长安镇海宁西站",
            (30.4580, 120.4400),
            "C18",
            vec![],
        ),
        (
            "张丽华",
            1,
            17,
            "镇中心小学旁人行道被占道经营",
            "长安镇中心小学旁",
            (30.4630, 120.4560),
            "C01",
            vec![],
        ),
        (
            "许建平",
            22,
            8,
            "某村河道有人电鱼，影响生态",
            "许村镇某村河道",
            (30.4200, 120.3600),
            "C13",
            vec![],
        ),
        (
            "许建平",
            8,
            14,
            "许村大道桥下有人倾倒建筑垃圾",
            "许村镇许村大道桥下",
            (30.4150, 120.3700),
            "C02",
            vec![],
        ),
        (
            "钱国强",
            35,
            10,
            "观潮景区周边停车收费不规范",
            "盐官镇观潮景区",
            (30.4000, 120.5400),
            "C18",
            vec![(
                "市人大工作人员",
                Action::Ask {
                    text: text("请补充收费点的具体位置。"),
                },
                30,
            )],
        ),
        (
            "钱国强",
            5,
            9,
            "盐官老街消防通道被杂物堵塞",
            "盐官镇老街",
            (30.4030, 120.5450),
            "C20",
            vec![],
        ),
    ];
    let mut filed = Vec::new();
    for (deputy, days, hour, text, address, place, category, steps) in items {
        let at = today - days * DAY + hour * HOUR;
        filed.push((
            file(
                deputy,
                at,
                text,
                address,
                place,
                Some(category),
                None,
                steps,
            )?,
            at,
            deputy,
        ));
    }
    // The same problem reported twice, 60 m apart: a suggested duplicate (联名).
    let dup_at = today - 9 * DAY + 18 * HOUR;
    let dup = file(
        "王建国",
        dup_at,
        "西山公园东门垃圾桶满溢，垃圾散落一地",
        "海洲街道西山公园东门外",
        (30.5155, 120.6724),
        Some("C02"),
        None,
        vec![],
    )?;
    filed.push((dup, dup_at, "王建国"));
    // An item @-mentioned to 斜桥镇人民政府 (no contact registered: it waits, late).
    let late = file(
        "杜玉妹",
        today - 18 * DAY + 9 * HOUR,
        "新塘桥两侧护栏松动，存在安全隐患",
        "斜桥镇新塘桥",
        (30.4660, 120.5700),
        Some("C03"),
        Some(xieqiao_gov),
        vec![],
    )?;
    filed.push((late, today - 18 * DAY + 9 * HOUR, "杜玉妹"));

    // Town review (初审) of 斜桥镇's older items by 陈芊含; 海洲街道's by 沈晓燕;
    // city review and an assignment list with feedback by city staff.
    let month_list = format!(
        "{}年{}月交办清单",
        local_year_month(now).0,
        local_year_month(now).1
    );
    for (id, at, deputy) in &filed {
        let age_days = (now - at) / DAY;
        let reviewer = match *deputy {
            "杜玉妹" => Some("陈芊含"),
            "陆靖英" | "王建国" => Some("沈晓燕"),
            _ => None,
        };
        let act = |who: &str, action: Action| -> Result<(), String> {
            let a = person(who)?;
            push(
                &a,
                MutationKind::Act {
                    ticket: *id,
                    event: EventId::new(),
                    action,
                },
                now - 60_000,
            )
        };
        if let (Some(r), true) = (reviewer, age_days >= 7) {
            act(
                r,
                Action::Review {
                    level: ReviewLevel::Town,
                    note: "已初审，分流至承办单位".into(),
                },
            )?;
        }
        if (25..=35).contains(&age_days) {
            act(
                "市人大工作人员",
                Action::Review {
                    level: ReviewLevel::City,
                    note: "列入本月交办".into(),
                },
            )?;
            act(
                "市人大工作人员",
                Action::AssignToGovernment {
                    list: month_list.clone(),
                },
            )?;
            act(
                "市人大工作人员",
                Action::GovernmentFeedback {
                    text: "市政府已转相关部门办理，月底前反馈结果。".into(),
                    resolved: false,
                },
            )?;
        }
    }
    // Weekly summaries (一周一结报) of this week: two deputies filed, the others not yet.
    let week = iso_week(now);
    for (name, contacts) in [("杜玉妹", 6), ("陆靖英", 3)] {
        let p = people.iter().find(|p| p.name == name).ok_or("no deputy")?;
        db.file_weekly(
            p.id,
            &week,
            &crate::store::review::WeeklyRow {
                contacts,
                note: "走访联络站，收集意见建议".into(),
                filed_at: now - HOUR,
            },
        )
        .map_err(|e| err(&e))?;
    }
    // The chases the ladder owes by now (督办记录).
    crate::workflow::escalation::run_once(db, now).map_err(|e| err(&e))?;
    Ok(filed.len() + 1)
}

/// (year, month) of `at` in China time.
fn local_year_month(at: i64) -> (i32, u8) {
    let d = minqing_protocol::calendar::local_date(at);
    (d.year(), d.month() as u8)
}

/// The ISO week of `at` in China time, `2020-W40`.
fn iso_week(at: i64) -> String {
    let d = minqing_protocol::calendar::local_date(at);
    let (year, week, _) = d.to_iso_week_date();
    format!("{year}-W{week:02}")
}

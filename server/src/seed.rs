//! Demo reference data for Haining: the 12 towns and streets, the 12 direct-line
//! groups, units (departments, town governments, street offices, a telecom
//! operator), and people in every role. Phone numbers are fictitious (the
//! 138-0057-xxxx block); division codes are placeholders, not GB/T 2260 codes.

use crate::auth::hash_password;
use crate::store::directory::{NewGroup, NewUnit, NewUser};
use crate::store::{Db, StoreError};
use minqing_protocol::wire::Jurisdiction;
use minqing_protocol::{GroupId, Role, UnitId, UserId};

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
        db.insert_user(&NewUser {
            id: UserId::new(),
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
    Ok(printed)
}

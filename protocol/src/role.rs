//! Roles: who a user is in the system (see DESIGN.md §2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市人大代表
    CityDeputy,
    /// 镇人大代表
    TownDeputy,
    /// 部门/镇街 联络员
    UnitContact,
    /// 部门/镇街 负责人
    UnitHead,
    /// 人大专工委/代选工委 负责人
    Coordinator,
    /// 镇/街道人大 工作人员
    TownStaff,
    /// 市人大机关 工作人员
    CityStaff,
    /// 系统管理员
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::CityDeputy,
        Role::TownDeputy,
        Role::UnitContact,
        Role::UnitHead,
        Role::Coordinator,
        Role::TownStaff,
        Role::CityStaff,
        Role::Admin,
    ];

    pub fn is_deputy(self) -> bool {
        matches!(self, Role::CityDeputy | Role::TownDeputy)
    }

    pub fn is_unit(self) -> bool {
        matches!(self, Role::UnitContact | Role::UnitHead)
    }

    /// Coordinators and staff supervise: they route, reassign, merge and chase.
    pub fn supervises(self) -> bool {
        matches!(self, Role::Coordinator | Role::TownStaff | Role::CityStaff)
    }

    /// The stable name used on the wire and in databases (`city_deputy`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CityDeputy => "city_deputy",
            Role::TownDeputy => "town_deputy",
            Role::UnitContact => "unit_contact",
            Role::UnitHead => "unit_head",
            Role::Coordinator => "coordinator",
            Role::TownStaff => "town_staff",
            Role::CityStaff => "city_staff",
            Role::Admin => "admin",
        }
    }

    /// The inverse of [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff may also log in with a password (the console).
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::Coordinator | Role::TownStaff | Role::CityStaff | Role::Admin
        )
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::CityDeputy => "市人大代表",
            Role::TownDeputy => "镇人大代表",
            Role::UnitContact => "单位联络员",
            Role::UnitHead => "单位负责人",
            Role::Coordinator => "工委负责人",
            Role::TownStaff => "镇街人大工作人员",
            Role::CityStaff => "市人大机关工作人员",
            Role::Admin => "系统管理员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::CityDeputy => "City deputy",
            Role::TownDeputy => "Town deputy",
            Role::UnitContact => "Unit contact",
            Role::UnitHead => "Unit head",
            Role::Coordinator => "Coordinator",
            Role::TownStaff => "Town staff",
            Role::CityStaff => "City staff",
            Role::Admin => "Administrator",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).expect("serialize");
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

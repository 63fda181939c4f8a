//! Roles: who a user is in the system (see DESIGN.md §2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

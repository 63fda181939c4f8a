//! The taxonomy a ticket is filed under (categories and their items), the routing
//! rules that suggest a unit from category + item + area, and [`Span`], the length
//! of a reply deadline.
//!
//! # What this module owns
//! - [`Taxonomy`]: categories and items, each with a stable ASCII code (what tickets
//!   store), a Chinese and an English name, and optionally a category's own reply
//!   deadline (`reply_within`, otherwise the deployment's default of one month).
//! - [`RoutingRules`]: which unit a ticket is suggested to ([`RoutingRules::suggest`];
//!   the most specific matching rule wins). A deputy's @-mention always beats a
//!   suggestion, and a ticket no rule matches is open to claim; both are decided by
//!   the caller, not here.
//! - [`Span`]: "1 month", "10 working days", "15 days" (or 1个月 / 10个工作日 / 15天).
//!   [`crate::clocks`] turns a span into a date on the working-day calendar.
//! - The checks that make a loaded file trustworthy ([`TaxonomyError`]): codes unique
//!   and well formed, item codes under their category's code, no empty names,
//!   deadlines that parse, routing rules that name real categories and items.
//!
//! Both the taxonomy and the rules are data an administrator edits (DESIGN §3). The
//! files embedded by [`Taxonomy::example`] and [`RoutingRules::example`]
//! (`data/taxonomy.example.toml`, `data/routing.example.toml`) are an EXAMPLE modelled
//! on common 12345 hotline classifications, not an official list and not Haining's
//! own. No I/O happens here: callers pass the text.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// The example taxonomy's TOML text (29 categories, 115 items); see [`Taxonomy::example`].
pub const EXAMPLE_TAXONOMY_TOML: &str = include_str!("../../data/taxonomy.example.toml");

/// The example routing rules' TOML text for the Haining demo; see [`RoutingRules::example`].
pub const EXAMPLE_ROUTING_TOML: &str = include_str!("../../data/routing.example.toml");

/// Categories and their items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub categories: Vec<Category>,
}

/// One category (大类), e.g. `C03` 市政设施.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable ASCII code, e.g. `C03`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The unit's reply deadline for this category, in [`Span`] syntax; `None` means
    /// the deployment's default (one month). Checked by [`Taxonomy::validate`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_within: Option<String>,
    pub items: Vec<Item>,
}

/// One item (小类) of a category, e.g. `C03-02` 窨井盖破损松动.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable ASCII code: the category's code, a hyphen, then more, e.g. `C03-02`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// Rules suggesting a unit for a ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
}

/// Category (and optionally item and area) → unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// A category code from the taxonomy.
    pub category: String,
    /// An item code within that category; `None` matches every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// An area (jurisdiction) code; `None` matches every area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// A unit key; whoever loads the rules maps it to a unit.
    pub unit: String,
}

/// What is wrong with a taxonomy or routing file. Rule numbers count from 1 in
/// file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("{file}: not valid TOML or not the expected fields: {source}")]
    Syntax {
        file: &'static str,
        #[source]
        source: toml::de::Error,
    },
    #[error("code {code:?} is not a code: use ASCII letters, digits, '-', '_' or '.'")]
    BadCode { code: String },
    #[error("code {code} is used more than once")]
    DuplicateCode { code: String },
    #[error(
        "item {item} is in category {category} but its code does not start with \"{category}-\""
    )]
    ItemOutsideCategory { item: String, category: String },
    #[error("{code} has an empty {field}")]
    EmptyName { code: String, field: &'static str },
    #[error("category {category}: reply_within {value:?}: {source}")]
    BadReplyWithin {
        category: String,
        value: String,
        #[source]
        source: SpanError,
    },
    #[error("routing rule {rule}: the taxonomy has no category {category}")]
    UnknownCategory { rule: usize, category: String },
    #[error("routing rule {rule}: category {category} has no item {item}")]
    UnknownItem {
        rule: usize,
        category: String,
        item: String,
    },
    #[error("routing rule {rule}: empty {field}")]
    EmptyRuleField { rule: usize, field: &'static str },
    #[error("routing rule {rule} has the same category, item and jurisdiction as rule {earlier}")]
    DuplicateRule { rule: usize, earlier: usize },
    /// More than one of the above in one file, in file order: every problem
    /// is reported at once, so whoever fixes the file sees them all. Shown
    /// one per line.
    #[error("{}", lines(.0))]
    Several(Vec<TaxonomyError>),
}

fn lines(problems: &[TaxonomyError]) -> String {
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    shown.join("\n")
}

impl TaxonomyError {
    /// `Ok` when `problems` is empty, the one problem, or [`Self::Several`].
    fn from_problems(mut problems: Vec<TaxonomyError>) -> Result<(), TaxonomyError> {
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems.remove(0)),
            _ => Err(TaxonomyError::Several(problems)),
        }
    }

    /// Each problem on its own: the list of [`Self::Several`], else this one.
    pub fn problems(&self) -> Vec<&TaxonomyError> {
        match self {
            TaxonomyError::Several(all) => all.iter().collect(),
            one => vec![one],
        }
    }
}

fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_code<'a>(code: &'a str, seen: &mut HashSet<&'a str>) -> Result<(), TaxonomyError> {
    if !is_code(code) {
        return Err(TaxonomyError::BadCode { code: code.into() });
    }
    if !seen.insert(code) {
        return Err(TaxonomyError::DuplicateCode { code: code.into() });
    }
    Ok(())
}

fn check_names(code: &str, name_zh: &str, name_en: &str) -> Result<(), TaxonomyError> {
    for (field, name) in [("name_zh", name_zh), ("name_en", name_en)] {
        if name.trim().is_empty() {
            return Err(TaxonomyError::EmptyName {
                code: code.into(),
                field,
            });
        }
    }
    Ok(())
}

impl Taxonomy {
    /// Parse and [check](Self::validate) a taxonomy file.
    pub fn from_toml(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let taxonomy: Taxonomy = toml::from_str(text).map_err(|source| TaxonomyError::Syntax {
            file: "taxonomy",
            source,
        })?;
        taxonomy.validate()?;
        Ok(taxonomy)
    }

    /// The embedded EXAMPLE taxonomy ([`EXAMPLE_TAXONOMY_TOML`]): 29 categories and
    /// 115 items modelled on 12345 hotline classifications, not an official list.
    pub fn example() -> Result<Taxonomy, TaxonomyError> {
        Taxonomy::from_toml(EXAMPLE_TAXONOMY_TOML)
    }

    /// Check what [`from_toml`](Self::from_toml) checks, for a taxonomy built in code:
    /// codes well formed and unique (categories and items share one namespace),
    /// each item code starting with `<category code>-`, no empty names, every
    /// `reply_within` a [`Span`]. Every problem is reported, in file order
    /// ([`TaxonomyError::Several`] when there is more than one).
    pub fn validate(&self) -> Result<(), TaxonomyError> {
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut note = |r: Result<(), TaxonomyError>| {
            if let Err(e) = r {
                problems.push(e);
            }
        };
        for category in &self.categories {
            note(check_code(&category.code, &mut seen));
            note(check_names(
                &category.code,
                &category.name_zh,
                &category.name_en,
            ));
            if let Some(value) = &category.reply_within {
                note(Span::parse(value).map(|_| ()).map_err(|source| {
                    TaxonomyError::BadReplyWithin {
                        category: category.code.clone(),
                        value: value.clone(),
                        source,
                    }
                }));
            }
            for item in &category.items {
                note(check_code(&item.code, &mut seen));
                let under = item
                    .code
                    .strip_prefix(category.code.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|rest| !rest.is_empty());
                if !under {
                    note(Err(TaxonomyError::ItemOutsideCategory {
                        item: item.code.clone(),
                        category: category.code.clone(),
                    }));
                }
                note(check_names(&item.code, &item.name_zh, &item.name_en));
            }
        }
        TaxonomyError::from_problems(problems)
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The item with this code, in whichever category it is.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.categories
            .iter()
            .flat_map(|c| c.items.iter())
            .find(|i| i.code == code)
    }

    /// (number of categories, number of items).
    pub fn counts(&self) -> (usize, usize) {
        let items = self.categories.iter().map(|c| c.items.len()).sum();
        (self.categories.len(), items)
    }

    /// Category code → its own reply deadline, for the categories that have one
    /// (the shape of `clocks::Policy::reply_within_by_category`). A value that does
    /// not parse is left out; [`validate`](Self::validate) reports it.
    pub fn reply_within_by_category(&self) -> BTreeMap<String, Span> {
        self.categories
            .iter()
            .filter_map(|c| Some((c.code.clone(), c.reply_span()?)))
            .collect()
    }
}

impl Category {
    /// The item of this category with this code.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// This category's own reply deadline; `None` when it has none (the default of
    /// one month applies) or when it does not parse ([`Taxonomy::validate`] reports that).
    pub fn reply_span(&self) -> Option<Span> {
        self.reply_within
            .as_deref()
            .and_then(|s| Span::parse(s).ok())
    }
}

impl RoutingRules {
    /// Parse routing rules and [check](Self::validate) them against `taxonomy`.
    pub fn from_toml(text: &str, taxonomy: &Taxonomy) -> Result<RoutingRules, TaxonomyError> {
        let rules: RoutingRules = toml::from_str(text).map_err(|source| TaxonomyError::Syntax {
            file: "routing rules",
            source,
        })?;
        rules.validate(taxonomy)?;
        Ok(rules)
    }

    /// The embedded EXAMPLE rules for the Haining demo ([`EXAMPLE_ROUTING_TOML`]),
    /// checked against [`Taxonomy::example`]. Unit keys are `mobile`, `housing`,
    /// `enforcement`, `traffic` and `local:<jurisdiction>`; the file's header says
    /// which seeded unit each stands for.
    pub fn example() -> Result<RoutingRules, TaxonomyError> {
        RoutingRules::from_toml(EXAMPLE_ROUTING_TOML, &Taxonomy::example()?)
    }

    /// Every rule names a category of `taxonomy` and, if it has one, an item of that
    /// category; jurisdiction and unit are not empty; no two rules have the same
    /// category, item and jurisdiction (they would compete). Every problem is
    /// reported, in rule order ([`TaxonomyError::Several`] when more than one).
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<(), TaxonomyError> {
        let mut problems = Vec::new();
        let mut seen: HashMap<(&str, Option<&str>, Option<&str>), usize> = HashMap::new();
        for (index, rule) in self.rules.iter().enumerate() {
            let number = index + 1;
            match taxonomy.category(&rule.category) {
                None => problems.push(TaxonomyError::UnknownCategory {
                    rule: number,
                    category: rule.category.clone(),
                }),
                Some(category) => {
                    if let Some(item) = &rule.item {
                        if category.item(item).is_none() {
                            problems.push(TaxonomyError::UnknownItem {
                                rule: number,
                                category: rule.category.clone(),
                                item: item.clone(),
                            });
                        }
                    }
                }
            }
            if rule
                .jurisdiction
                .as_deref()
                .is_some_and(|j| j.trim().is_empty())
            {
                problems.push(TaxonomyError::EmptyRuleField {
                    rule: number,
                    field: "jurisdiction",
                });
            }
            if rule.unit.trim().is_empty() {
                problems.push(TaxonomyError::EmptyRuleField {
                    rule: number,
                    field: "unit",
                });
            }
            let key = (
                rule.category.as_str(),
                rule.item.as_deref(),
                rule.jurisdiction.as_deref(),
            );
            match seen.get(&key) {
                Some(&earlier) => problems.push(TaxonomyError::DuplicateRule {
                    rule: number,
                    earlier,
                }),
                None => {
                    seen.insert(key, number);
                }
            }
        }
        TaxonomyError::from_problems(problems)
    }

    /// The unit suggested for a ticket, or `None` (open to claim). Rules of the
    /// ticket's category match when their item (if any) is the ticket's item and
    /// their jurisdiction (if any) is the ticket's; the most specific wins:
    /// item + jurisdiction > item > category + jurisdiction > category. A ticket
    /// without a category matches nothing.
    pub fn suggest(
        &self,
        category: Option<&str>,
        item: Option<&str>,
        jurisdiction: Option<&str>,
    ) -> Option<&str> {
        let category = category?;
        let mut best: Option<(u8, &RoutingRule)> = None;
        for rule in self.rules.iter().filter(|r| r.category == category) {
            let item_score = match rule.item.as_deref() {
                None => 0,
                Some(i) if Some(i) == item => 2,
                Some(_) => continue,
            };
            let area_score = match rule.jurisdiction.as_deref() {
                None => 0,
                Some(j) if Some(j) == jurisdiction => 1,
                Some(_) => continue,
            };
            let score = item_score + area_score;
            match best {
                Some((b, _)) if b >= score => {}
                _ => best = Some((score, rule)),
            }
        }
        best.map(|(_, rule)| rule.unit.as_str())
    }

    /// Every unit key the rules use, so a loader can check each maps to a unit.
    pub fn units(&self) -> BTreeSet<&str> {
        self.rules.iter().map(|r| r.unit.as_str()).collect()
    }
}

/// The length of a deadline. Written "1 month", "2 months", "10 working days",
/// "15 days", or in Chinese "1个月", "10个工作日", "15日" / "15天"; shown (and
/// serialized) in the English form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Span {
    /// Calendar months: due on the same day of the month, that many months later.
    Months(u32),
    /// Working days on the official calendar (调休 included).
    WorkingDays(u32),
    /// Calendar days (自然日).
    Days(u32),
}

/// On the wire a span is its English text, e.g. `1 month`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Span {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A deadline's length: `N month(s)`, `N working day(s)` or `N day(s)`",
            ))
            .examples(["1 month", "10 working days"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Span {}

/// Why a text is not a [`Span`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    #[error("must start with a whole number, e.g. \"1 month\", \"10 working days\", \"15天\"")]
    MissingNumber,
    #[error("must be at least 1")]
    Zero,
    #[error("longer than a year (at most 12 months, 366 days or 260 working days)")]
    TooLong,
    #[error("unknown unit {0:?}: use month(s), working day(s), day(s), 个月, 个工作日, 日 or 天")]
    UnknownUnit(String),
}

impl Span {
    /// Parse "1 month", "10 working days", "15 days", "1个月", "10个工作日", "15日",
    /// "15天" (case and spacing are free). Zero, negative and over-a-year spans are refused.
    pub fn parse(text: &str) -> Result<Span, SpanError> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        if digits == 0 {
            return Err(SpanError::MissingNumber);
        }
        // Only digits, so the one failure left is overflow.
        let n: u32 = text[..digits].parse().map_err(|_| SpanError::TooLong)?;
        let unit = text[digits..]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let (span, max) = match unit.as_str() {
            "month" | "months" | "个月" => (Span::Months(n), 12),
            "working day" | "working days" | "个工作日" | "工作日" => {
                (Span::WorkingDays(n), 260)
            }
            "day" | "days" | "日" | "天" | "个自然日" | "自然日" => (Span::Days(n), 366),
            _ => return Err(SpanError::UnknownUnit(text[digits..].trim().to_string())),
        };
        if n == 0 {
            Err(SpanError::Zero)
        } else if n > max {
            Err(SpanError::TooLong)
        } else {
            Ok(span)
        }
    }

    /// The Chinese form: "1个月", "10个工作日", "15天".
    pub fn to_zh(self) -> String {
        match self {
            Span::Months(n) => format!("{n}个月"),
            Span::WorkingDays(n) => format!("{n}个工作日"),
            Span::Days(n) => format!("{n}天"),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, one, many) = match *self {
            Span::Months(n) => (n, "month", "months"),
            Span::WorkingDays(n) => (n, "working day", "working days"),
            Span::Days(n) => (n, "day", "days"),
        };
        write!(f, "{n} {}", if n == 1 { one } else { many })
    }
}

impl FromStr for Span {
    type Err = SpanError;
    fn from_str(s: &str) -> Result<Span, SpanError> {
        Span::parse(s)
    }
}

impl TryFrom<String> for Span {
    type Error = SpanError;
    fn try_from(s: String) -> Result<Span, SpanError> {
        Span::parse(&s)
    }
}

impl From<Span> for String {
    fn from(span: Span) -> String {
        span.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Taxonomy {
        Taxonomy::example().expect("the example taxonomy loads")
    }

    fn rules(text: &str) -> Result<RoutingRules, TaxonomyError> {
        RoutingRules::from_toml(text, &example())
    }

    #[test]
    fn example_taxonomy_has_29_categories_and_115_items_with_unique_codes() {
        let t = example();
        assert_eq!(t.counts(), (29, 115));
        let mut codes = HashSet::new();
        for c in &t.categories {
            assert!(codes.insert(c.code.as_str()), "duplicate {}", c.code);
            assert!(
                (2..=7).contains(&c.items.len()),
                "{} has {} items",
                c.code,
                c.items.len()
            );
            for i in &c.items {
                assert!(codes.insert(i.code.as_str()), "duplicate {}", i.code);
                assert!(i.code.starts_with(&format!("{}-", c.code)));
            }
        }
        assert_eq!(codes.len(), 29 + 115);
        assert!(EXAMPLE_TAXONOMY_TOML.contains("EXAMPLE"));
    }

    #[test]
    fn example_taxonomy_covers_the_seed_cases() {
        let t = example();
        let item_named = |needle: &str| {
            t.categories
                .iter()
                .flat_map(|c| c.items.iter())
                .any(|i| i.name_zh.contains(needle))
        };
        assert!(item_named("窨井盖"), "manhole covers");
        assert!(item_named("信号灯"), "traffic lights");
        assert!(item_named("警示桩"), "gas warning posts");
        assert!(t.categories.iter().any(|c| c.name_zh == "通信设施"));
        assert_eq!(
            t.category("C03").map(|c| c.name_zh.as_str()),
            Some("市政设施")
        );
        assert_eq!(
            t.item("C03-02").map(|i| i.name_zh.as_str()),
            Some("窨井盖破损松动")
        );
        assert!(t.category("C99").is_none());
        assert!(t.item("C03-99").is_none());
    }

    #[test]
    fn example_reply_deadlines() {
        let t = example();
        let by_category = t.reply_within_by_category();
        assert_eq!(by_category.get("C20"), Some(&Span::WorkingDays(5)));
        assert_eq!(by_category.get("C21"), Some(&Span::WorkingDays(5)));
        assert_eq!(by_category.get("C08"), Some(&Span::WorkingDays(10)));
        assert_eq!(by_category.get("C19"), Some(&Span::Days(15)));
        assert_eq!(by_category.len(), 4);
        assert_eq!(t.category("C03").and_then(Category::reply_span), None);
    }

    #[test]
    fn example_routing_names_only_real_categories_and_items() {
        let t = example();
        let r = RoutingRules::example().expect("the example rules load");
        assert!(!r.rules.is_empty());
        for rule in &r.rules {
            let category = t.category(&rule.category).expect("category exists");
            if let Some(item) = &rule.item {
                assert!(category.item(item).is_some(), "{item}");
            }
        }
        let units = r.units();
        for key in ["mobile", "housing", "enforcement", "traffic", "local:xucun"] {
            assert!(units.contains(key), "{key}");
        }
    }

    #[test]
    fn example_routing_suggests_seed_units() {
        let r = RoutingRules::example().expect("the example rules load");
        // The seed's story: a China Mobile manhole cover in the city.
        assert_eq!(
            r.suggest(Some("C25"), Some("C25-02"), Some("haizhou")),
            Some("mobile")
        );
        // Gas warning post: no gas company seeded, the housing bureau.
        assert_eq!(
            r.suggest(Some("C08"), Some("C08-02"), Some("changan")),
            Some("housing")
        );
        assert_eq!(
            r.suggest(Some("C04"), Some("C04-01"), None),
            Some("traffic")
        );
        // Road facilities: the town government in a town, the city in a street.
        assert_eq!(
            r.suggest(Some("C03"), Some("C03-02"), Some("xucun")),
            Some("local:xucun")
        );
        assert_eq!(
            r.suggest(Some("C03"), Some("C03-02"), Some("xiashi")),
            Some("housing")
        );
        // Land acquisition needs an area; education has no unit in the seed.
        assert_eq!(r.suggest(Some("C11"), None, None), None);
        assert_eq!(r.suggest(Some("C14"), Some("C14-01"), Some("xucun")), None);
    }

    const PRECEDENCE: &str = r#"
        rules = [
          { category = "C03", unit = "cat" },
          { category = "C03", jurisdiction = "xucun", unit = "cat+area" },
          { category = "C03", item = "C03-02", unit = "item" },
          { category = "C03", item = "C03-02", jurisdiction = "xucun", unit = "item+area" },
        ]
    "#;

    #[test]
    fn suggest_prefers_the_most_specific_rule() {
        let r = rules(PRECEDENCE).expect("valid rules");
        let s = |c, i, j| r.suggest(c, i, j);
        assert_eq!(
            s(Some("C03"), Some("C03-02"), Some("xucun")),
            Some("item+area")
        );
        assert_eq!(
            s(Some("C03"), Some("C03-02"), Some("yanguan")),
            Some("item")
        );
        assert_eq!(s(Some("C03"), Some("C03-02"), None), Some("item"));
        assert_eq!(
            s(Some("C03"), Some("C03-01"), Some("xucun")),
            Some("cat+area")
        );
        assert_eq!(s(Some("C03"), None, Some("xucun")), Some("cat+area"));
        assert_eq!(s(Some("C03"), Some("C03-01"), Some("yanguan")), Some("cat"));
        assert_eq!(s(Some("C03"), None, None), Some("cat"));
        assert_eq!(s(Some("C04"), None, Some("xucun")), None);
        assert_eq!(s(None, Some("C03-02"), Some("xucun")), None);

        // Order in the file does not matter.
        let mut reversed = r.clone();
        reversed.rules.reverse();
        assert_eq!(
            reversed.suggest(Some("C03"), Some("C03-02"), Some("xucun")),
            Some("item+area")
        );
        assert_eq!(reversed.suggest(Some("C03"), None, None), Some("cat"));
    }

    #[test]
    fn item_rule_beats_area_rule() {
        let r = rules(
            r#"rules = [
                 { category = "C03", jurisdiction = "xucun", unit = "area" },
                 { category = "C03", item = "C03-02", unit = "item" },
               ]"#,
        )
        .expect("valid rules");
        assert_eq!(
            r.suggest(Some("C03"), Some("C03-02"), Some("xucun")),
            Some("item")
        );
    }

    fn one_category(category: &str) -> String {
        format!("[[categories]]\n{category}")
    }

    const GOOD_ITEMS: &str = r#"items = [{ code = "A-1", name_zh = "甲一", name_en = "A one" }]"#;

    #[test]
    fn a_minimal_taxonomy_loads() {
        let t = Taxonomy::from_toml(&one_category(&format!(
            "code = \"A\"\nname_zh = \"甲\"\nname_en = \"A\"\nreply_within = \"15个工作日\"\n{GOOD_ITEMS}"
        )))
        .expect("valid");
        assert_eq!(t.counts(), (1, 1));
        assert_eq!(
            t.category("A").and_then(Category::reply_span),
            Some(Span::WorkingDays(15))
        );
    }

    /// A file with several problems reports every one, in file order, so
    /// whoever fixes it sees them all at once (the console lists each).
    #[test]
    fn every_problem_of_a_file_is_reported() {
        let text = one_category(
            r#"code = "A"
name_zh = ""
name_en = "A"
items = [
  { code = "B-1", name_zh = "乙一", name_en = "B one" },
  { code = "A 2", name_zh = "甲二", name_en = "A two" },
]"#,
        );
        let e = Taxonomy::from_toml(&text).expect_err("three problems");
        assert_eq!(
            e.problems(),
            vec![
                &TaxonomyError::EmptyName {
                    code: "A".into(),
                    field: "name_zh"
                },
                &TaxonomyError::ItemOutsideCategory {
                    item: "B-1".into(),
                    category: "A".into()
                },
                &TaxonomyError::BadCode { code: "A 2".into() },
                &TaxonomyError::ItemOutsideCategory {
                    item: "A 2".into(),
                    category: "A".into()
                },
            ]
        );
        assert_eq!(e.to_string().lines().count(), 4, "one line each: {e}");

        let taxonomy = Taxonomy::example().expect("example");
        let rules = "rules = [\n  { category = \"C99\", unit = \"mobile\" },\n  { category = \"C03\", unit = \" \" },\n  { category = \"C03\", unit = \"housing\" },\n]\n";
        let e = RoutingRules::from_toml(rules, &taxonomy).expect_err("three problems");
        assert_eq!(
            e.problems(),
            vec![
                &TaxonomyError::UnknownCategory {
                    rule: 1,
                    category: "C99".into()
                },
                &TaxonomyError::EmptyRuleField {
                    rule: 2,
                    field: "unit"
                },
                &TaxonomyError::DuplicateRule {
                    rule: 3,
                    earlier: 2
                },
            ]
        );
        // One problem is itself, not a list of one.
        let one =
            RoutingRules::from_toml("rules = [{ category = \"C99\", unit = \"x\" }]", &taxonomy)
                .expect_err("one");
        assert!(
            matches!(one, TaxonomyError::UnknownCategory { .. }),
            "{one:?}"
        );
    }

    #[test]
    fn duplicate_category_codes_are_refused() {
        let c = format!("code = \"A\"\nname_zh = \"甲\"\nname_en = \"A\"\n{GOOD_ITEMS}");
        let text = format!(
            "{}\n{}",
            one_category(&c),
            one_category(&c.replace("A-1", "A-2"))
        );
        assert_eq!(
            Taxonomy::from_toml(&text),
            Err(TaxonomyError::DuplicateCode { code: "A".into() })
        );
    }

    #[test]
    fn duplicate_item_codes_are_refused() {
        let text = one_category(
            r#"code = "A"
name_zh = "甲"
name_en = "A"
items = [
  { code = "A-1", name_zh = "甲一", name_en = "A one" },
  { code = "A-1", name_zh = "甲二", name_en = "A two" },
]"#,
        );
        assert_eq!(
            Taxonomy::from_toml(&text),
            Err(TaxonomyError::DuplicateCode { code: "A-1".into() })
        );
    }

    #[test]
    fn item_codes_must_start_with_their_category_code() {
        for bad in ["B-1", "A1", "A-", "AB-1"] {
            let text = one_category(&format!(
                "code = \"A\"\nname_zh = \"甲\"\nname_en = \"A\"\nitems = [{{ code = \"{bad}\", name_zh = \"甲一\", name_en = \"A one\" }}]"
            ));
            assert_eq!(
                Taxonomy::from_toml(&text),
                Err(TaxonomyError::ItemOutsideCategory {
                    item: bad.into(),
                    category: "A".into()
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_names_are_refused() {
        let text = one_category(&format!(
            "code = \"A\"\nname_zh = \" \"\nname_en = \"A\"\n{GOOD_ITEMS}"
        ));
        assert_eq!(
            Taxonomy::from_toml(&text),
            Err(TaxonomyError::EmptyName {
                code: "A".into(),
                field: "name_zh"
            })
        );
        let text = one_category(
            r#"code = "A"
name_zh = "甲"
name_en = "A"
items = [{ code = "A-1", name_zh = "甲一", name_en = "" }]"#,
        );
        assert_eq!(
            Taxonomy::from_toml(&text),
            Err(TaxonomyError::EmptyName {
                code: "A-1".into(),
                field: "name_en"
            })
        );
    }

    #[test]
    fn codes_must_be_ascii() {
        let text = one_category(&format!(
            "code = \"甲\"\nname_zh = \"甲\"\nname_en = \"A\"\n{GOOD_ITEMS}"
        ));
        // The item A-1 is then outside its category too: both are reported.
        let e = Taxonomy::from_toml(&text).expect_err("refused");
        assert_eq!(
            e.problems()[0],
            &TaxonomyError::BadCode { code: "甲".into() }
        );
    }

    #[test]
    fn unparseable_reply_within_is_refused() {
        let text = one_category(&format!(
            "code = \"A\"\nname_zh = \"甲\"\nname_en = \"A\"\nreply_within = \"soon\"\n{GOOD_ITEMS}"
        ));
        assert_eq!(
            Taxonomy::from_toml(&text),
            Err(TaxonomyError::BadReplyWithin {
                category: "A".into(),
                value: "soon".into(),
                source: SpanError::MissingNumber
            })
        );
    }

    #[test]
    fn misspelt_fields_and_bad_toml_are_syntax_errors() {
        let text = one_category(&format!(
            "code = \"A\"\nname_zh = \"甲\"\nname_en = \"A\"\nreply_in = \"1 month\"\n{GOOD_ITEMS}"
        ));
        let err = Taxonomy::from_toml(&text).expect_err("unknown field");
        assert!(matches!(
            err,
            TaxonomyError::Syntax {
                file: "taxonomy",
                ..
            }
        ));
        assert!(err.to_string().contains("reply_in"), "{err}");

        let err = rules(r#"rules = [{ category = "C03", jurisdicton = "xucun", unit = "x" }]"#)
            .expect_err("unknown field");
        assert!(matches!(
            err,
            TaxonomyError::Syntax {
                file: "routing rules",
                ..
            }
        ));
        assert!(matches!(
            rules("rules = ["),
            Err(TaxonomyError::Syntax { .. })
        ));
    }

    #[test]
    fn routing_rule_errors() {
        assert_eq!(
            rules(
                r#"rules = [{ category = "C03", unit = "a" }, { category = "C99", unit = "b" }]"#
            ),
            Err(TaxonomyError::UnknownCategory {
                rule: 2,
                category: "C99".into()
            })
        );
        assert_eq!(
            rules(r#"rules = [{ category = "C03", item = "C04-01", unit = "a" }]"#),
            Err(TaxonomyError::UnknownItem {
                rule: 1,
                category: "C03".into(),
                item: "C04-01".into()
            })
        );
        assert_eq!(
            rules(r#"rules = [{ category = "C03", unit = " " }]"#),
            Err(TaxonomyError::EmptyRuleField {
                rule: 1,
                field: "unit"
            })
        );
        assert_eq!(
            rules(r#"rules = [{ category = "C03", jurisdiction = "", unit = "a" }]"#),
            Err(TaxonomyError::EmptyRuleField {
                rule: 1,
                field: "jurisdiction"
            })
        );
        assert_eq!(
            rules(
                r#"rules = [
                     { category = "C03", jurisdiction = "xucun", unit = "a" },
                     { category = "C03", unit = "b" },
                     { category = "C03", jurisdiction = "xucun", unit = "c" },
                   ]"#
            ),
            Err(TaxonomyError::DuplicateRule {
                rule: 3,
                earlier: 1
            })
        );
        assert_eq!(rules(""), Ok(RoutingRules::default()));
    }

    #[test]
    fn errors_name_the_problem() {
        let err = TaxonomyError::UnknownCategory {
            rule: 4,
            category: "C99".into(),
        };
        assert_eq!(
            err.to_string(),
            "routing rule 4: the taxonomy has no category C99"
        );
        let err = TaxonomyError::ItemOutsideCategory {
            item: "B-1".into(),
            category: "A".into(),
        };
        assert_eq!(
            err.to_string(),
            "item B-1 is in category A but its code does not start with \"A-\""
        );
    }

    #[test]
    fn span_parses_english() {
        let ok = |s: &str| Span::parse(s).expect(s);
        assert_eq!(ok("1 month"), Span::Months(1));
        assert_eq!(ok("2 months"), Span::Months(2));
        assert_eq!(ok("10 working days"), Span::WorkingDays(10));
        assert_eq!(ok("1 working day"), Span::WorkingDays(1));
        assert_eq!(ok("15 days"), Span::Days(15));
        assert_eq!(ok(" 3  Working   Days "), Span::WorkingDays(3));
        assert_eq!(ok("7days"), Span::Days(7));
    }

    #[test]
    fn span_parses_chinese() {
        let ok = |s: &str| Span::parse(s).expect(s);
        assert_eq!(ok("1个月"), Span::Months(1));
        assert_eq!(ok("2个月"), Span::Months(2));
        assert_eq!(ok("10个工作日"), Span::WorkingDays(10));
        assert_eq!(ok("5工作日"), Span::WorkingDays(5));
        assert_eq!(ok("15日"), Span::Days(15));
        assert_eq!(ok("15天"), Span::Days(15));
        assert_eq!(ok("30个自然日"), Span::Days(30));
    }

    #[test]
    fn span_rejects_garbage() {
        let err = |s: &str| Span::parse(s).expect_err(s);
        assert_eq!(err("0 months"), SpanError::Zero);
        assert_eq!(err("0天"), SpanError::Zero);
        assert_eq!(err("month"), SpanError::MissingNumber);
        assert_eq!(err("-1 days"), SpanError::MissingNumber);
        assert_eq!(err(""), SpanError::MissingNumber);
        assert_eq!(err("一个月"), SpanError::MissingNumber);
        assert_eq!(
            err("1.5 months"),
            SpanError::UnknownUnit(".5 months".into())
        );
        assert_eq!(err("2 weeks"), SpanError::UnknownUnit("weeks".into()));
        assert_eq!(err("3"), SpanError::UnknownUnit(String::new()));
        assert_eq!(err("1月"), SpanError::UnknownUnit("月".into()));
        assert_eq!(err("13 months"), SpanError::TooLong);
        assert_eq!(err("261 working days"), SpanError::TooLong);
        assert_eq!(err("99999999999 days"), SpanError::TooLong);
        assert_eq!("soon".parse::<Span>(), Err(SpanError::MissingNumber));
    }

    #[test]
    fn span_displays_and_round_trips() {
        for (span, en, zh) in [
            (Span::Months(1), "1 month", "1个月"),
            (Span::Months(2), "2 months", "2个月"),
            (Span::WorkingDays(1), "1 working day", "1个工作日"),
            (Span::WorkingDays(10), "10 working days", "10个工作日"),
            (Span::Days(15), "15 days", "15天"),
        ] {
            assert_eq!(span.to_string(), en);
            assert_eq!(span.to_zh(), zh);
            assert_eq!(Span::parse(en), Ok(span));
            assert_eq!(Span::parse(zh), Ok(span));
            let json = serde_json::to_string(&span).expect("serializes");
            assert_eq!(json, format!("\"{en}\""));
            assert_eq!(serde_json::from_str::<Span>(&json).ok(), Some(span));
        }
        assert!(serde_json::from_str::<Span>("\"0 days\"").is_err());
    }

    #[test]
    fn taxonomy_round_trips_through_toml() {
        let t = example();
        let text = toml::to_string(&t).expect("serializes");
        assert_eq!(Taxonomy::from_toml(&text), Ok(t));
    }
}

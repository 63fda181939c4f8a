//! What a field a client sends may hold: lengths, characters and formats, as
//! pure rules the phone (before it queues anything) and the server (before it
//! stores anything) both run. What needs the directory — does this group,
//! unit or jurisdiction exist, is the deputy a member — is the server's
//! (`server/src/service/push.rs`, typed [`crate::wire::RejectReason`]s).
//!
//! A refusal is a [`Denied::Invalid`] naming the field (`constituent.phone`,
//! `location.address`, …) and one of the reasons in [`reason`]; its
//! [`Denied::message_zh`] says both in Chinese.

use crate::machine::Denied;

/// Longest free text (a report, a reply, a reason), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest constituent name, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest address of a place, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest code (jurisdiction, category, item), in bytes.
pub const MAX_CODE_LEN: usize = 32;
/// Longest name of an assignment list (交办清单), in characters.
pub const MAX_LIST_CHARS: usize = 64;
/// Most photos a submission announces, or a resolution names as proof.
pub const MAX_PHOTOS: usize = 20;
/// Largest photo side, in pixels (the capture rendition's long edge is 2048;
/// a photo's own size is at most 100 MP).
pub const MAX_PHOTO_SIDE: u32 = 65_535;
/// A photo's time must lie after this (2000-01-01T00:00:00Z, ms)…
pub const MIN_TAKEN_AT: i64 = 946_684_800_000;
/// … and before this (2200-01-01T00:00:00Z, ms).
pub const MAX_TAKEN_AT: i64 = 7_258_118_400_000;

/// The reasons a field is refused for (the `reason` of [`Denied::Invalid`]).
pub mod reason {
    pub const EMPTY: &str = "must not be empty";
    pub const TOO_LONG: &str = "too long";
    pub const CONTROL: &str = "contains control characters";
    pub const NOT_A_CODE: &str = "not a code (ASCII letters, digits, '-', '_', '.'; at most 32)";
    pub const NOT_A_PHONE: &str =
        "not a mainland phone number (a mobile 1xxxxxxxxxx, or a landline 0xxx-xxxxxxx)";
    pub const OUT_OF_RANGE: &str = "out of range";
    pub const TOO_MANY: &str = "too many";
    pub const REPEATED: &str = "named twice";
    pub const NOT_A_LIST: &str = "a list's name has no '/'";
}

fn invalid(field: &str, reason: &str) -> Denied {
    Denied::Invalid {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Free text: at most `max` characters, no control characters but line
/// breaks and tabs. May be empty (the caller says when it may not).
pub fn text(field: &str, s: &str, max: usize) -> Result<(), Denied> {
    if s.chars().count() > max {
        return Err(invalid(field, reason::TOO_LONG));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(field, reason::CONTROL));
    }
    Ok(())
}

/// One line (a name, an address, a list): at most `max` characters, no
/// control characters at all.
pub fn line(field: &str, s: &str, max: usize) -> Result<(), Denied> {
    if s.chars().count() > max {
        return Err(invalid(field, reason::TOO_LONG));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, reason::CONTROL));
    }
    Ok(())
}

/// Text that must say something.
pub fn required(field: &str, s: &str, max: usize) -> Result<(), Denied> {
    if s.trim().is_empty() {
        return Err(invalid(field, reason::EMPTY));
    }
    text(field, s, max)
}

/// A code of the reference data (a jurisdiction, a category, an item):
/// 1–32 ASCII letters, digits, `-`, `_` or `.`.
pub fn code(field: &str, s: &str) -> Result<(), Denied> {
    let ok = !s.is_empty()
        && s.len() <= MAX_CODE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(field, reason::NOT_A_CODE))
    }
}

/// Is `s` a mainland China phone number? A mobile number (11 digits from
/// `13`–`19`, optionally after `+86`, `86` or `0086`), or a landline with its
/// area code (`0` and 2–3 digits, then 7–8 digits: 10–12 digits in all).
/// Spaces and hyphens between digits are allowed, nothing else.
pub fn is_mainland_phone(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > 24 {
        return false;
    }
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        || rest.starts_with(['-', ' '])
        || rest.ends_with(['-', ' '])
    {
        return false;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let national = if plus {
        match digits.strip_prefix("86") {
            Some(n) => n,
            None => return false,
        }
    } else if let Some(n) = digits.strip_prefix("0086").filter(|n| n.starts_with('1')) {
        n
    } else if let Some(n) = digits
        .strip_prefix("86")
        .filter(|n| n.len() == 11 && n.starts_with('1'))
    {
        n
    } else {
        digits.as_str()
    };
    let b = national.as_bytes();
    let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0' && !plus;
    mobile || landline
}

/// A phone number field: a mainland phone number.
pub fn phone(field: &str, s: &str) -> Result<(), Denied> {
    if is_mainland_phone(s) {
        Ok(())
    } else {
        Err(invalid(field, reason::NOT_A_PHONE))
    }
}

/// The field's name, in Chinese, for a message to the user.
pub fn field_zh(field: &str) -> &str {
    match field {
        "text" => "内容",
        "reason" => "理由",
        "note" => "备注",
        "list" => "交办清单名称",
        "unit" => "单位",
        "group" => "直通车群",
        "jurisdiction" => "辖区",
        "category" => "类别",
        "item" => "事项",
        "location" => "位置",
        "location.address" => "地址",
        "constituent.name" => "群众姓名",
        "constituent.phone" => "群众电话",
        "photo" | "photo_count" => "照片",
        "photo.address" => "照片地址",
        "proof" => "办结照片",
        "rating" => "评分",
        "into" => "合并目标",
        "level" => "审核级别",
        "outcome" => "办理方式",
        other => other,
    }
}

/// A reason of [`reason`] (and the state machine's own), in Chinese; others
/// as they are.
pub fn reason_zh(reason: &str) -> &str {
    match reason {
        reason::EMPTY => "不能为空",
        reason::TOO_LONG => "过长",
        reason::CONTROL => "含有不可见的控制字符",
        reason::NOT_A_CODE => "代码格式不对",
        reason::NOT_A_PHONE => "不是有效的电话号码（手机 11 位，或带区号的固话）",
        reason::OUT_OF_RANGE => "超出范围",
        reason::TOO_MANY => "数量过多",
        reason::REPEATED => "重复",
        reason::NOT_A_LIST => "名称不能含“/”",
        "a ticket needs text or a photo" => "请填写内容或添加照片",
        "must be 1 to 5" => "须为 1 到 5 星",
        "at least one proof photo is required" => "至少需要一张办结照片",
        "sha256 must be 64 hex digits" => "照片校验值格式不对",
        "already attached" => "照片已添加",
        "location out of range" => "照片位置超出范围",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_phone_numbers() {
        for ok in [
            "13912345678",
            "139 1234 5678",
            "139-1234-5678",
            "+86 139 1234 5678",
            "+8613912345678",
            "8613912345678",
            "008613912345678",
            "0571-87654321",
            "057187654321",
            "010-12345678",
            "0573 8765432",
        ] {
            assert!(is_mainland_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "12912345678",  // no 12x mobile prefix
            "1391234567",   // 10 digits
            "139123456789", // 12 digits
            "+1 415 555 0100",
            "+86 0571 87654321",
            "00571-87654321",
            "0571-876543210123",
            "139-1234-5678-",
            "tel:13912345678",
            "13912345678<script>",
            "１３９１２３４５６７８", // full-width digits
            &"1".repeat(1_500_000),
        ] {
            assert!(!is_mainland_phone(bad), "{bad:.40}");
        }
    }

    #[test]
    fn codes_and_lines() {
        assert!(code("jurisdiction", "haizhou").is_ok());
        assert!(code("jurisdiction", "330481").is_ok());
        assert!(code("category", "C03-02").is_ok());
        for bad in ["", "../../etc<script>", "a b", "海洲", &"x".repeat(33)] {
            assert!(code("jurisdiction", bad).is_err(), "{bad}");
        }
        assert!(line("constituent.name", "张阿姨", MAX_NAME_CHARS).is_ok());
        assert!(line("constituent.name", "张\n阿姨", MAX_NAME_CHARS).is_err());
        assert!(text("text", "第一行\n第二行\t", MAX_TEXT_CHARS).is_ok());
        assert!(text("text", "nul\0", MAX_TEXT_CHARS).is_err());
        assert!(line("constituent.name", &"张".repeat(51), MAX_NAME_CHARS).is_err());
    }

    #[test]
    fn every_reason_has_chinese() {
        for r in [
            reason::EMPTY,
            reason::TOO_LONG,
            reason::CONTROL,
            reason::NOT_A_CODE,
            reason::NOT_A_PHONE,
            reason::OUT_OF_RANGE,
            reason::TOO_MANY,
            reason::REPEATED,
            reason::NOT_A_LIST,
        ] {
            assert_ne!(reason_zh(r), r);
        }
    }
}

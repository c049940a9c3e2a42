//! How a plain YAML scalar reads under YAML 1.2's core schema: the one place that
//! knows the null spellings, booleans and number forms, for parsing scenario files
//! and for writing steps back (a string that would read as something else is quoted).

use super::tree::{Kind, Node};

/// A scalar's value; quoted scalars are always strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'n> {
    /// `~`, `null`, `Null`, `NULL` or nothing at all.
    Null,
    /// `true` / `false` in their three spellings each.
    Bool(bool),
    /// An integer (decimal, `0x` hex or `0o` octal); `None` when it does not fit in an `i128`.
    Int(Option<i128>),
    /// A float, `.inf` or `.nan`.
    Float,
    /// Anything else, or any quoted scalar.
    Str(&'n str),
}

/// Reads a scalar as the core schema does; `plain` is false for quoted scalars.
pub(crate) fn value(text: &str, plain: bool) -> Value<'_> {
    if !plain {
        return Value::Str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Value::Float,
        _ => {}
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = |digits: &str, radix: u32| {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))).then(|| {
            let magnitude = i128::from_str_radix(digits, radix).ok();
            Value::Int(magnitude.map(|m| if negative { -m } else { m }))
        })
    };
    if let Some(hex) = text.strip_prefix("0x") {
        if let Some(v) = radix(hex, 16) {
            return v;
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Some(v) = radix(oct, 8) {
            return v;
        }
    } else if let Some(v) = radix(unsigned, 10) {
        return v;
    }
    if is_float(unsigned) {
        return Value::Float;
    }
    Value::Str(text)
}

/// True for a node that is an empty value or a null spelling.
pub(crate) fn is_null(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar { text, plain } if value(text, *plain) == Value::Null)
}

/// True when `s`, written plain, reads back as the same string and nothing else
/// (not a null, boolean or number, and no character YAML gives a meaning to).
/// YAML 1.1 booleans (`yes`, `on`, …) are quoted too, for readers that still use them.
pub(crate) fn plain_is_safe(s: &str) -> bool {
    let yaml11 = matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    );
    let safe_start = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let safe_rest = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    !yaml11 && safe_start && safe_rest && value(s, true) == Value::Str(s)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float without sign.
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| d.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// How a node is described in "found ..." messages.
pub(crate) fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::Map(_) => "a map".into(),
        Kind::Seq(_) => "a list".into(),
        Kind::Scalar { text, plain } => match value(text, *plain) {
            Value::Null => "nothing (null)".into(),
            Value::Bool(b) => format!("the boolean `{b}`"),
            Value::Int(_) => format!("the integer `{text}`"),
            Value::Float => format!("the number `{text}`"),
            Value::Str(s) => format!("the string {}", quote_excerpt(s)),
        },
    }
}

/// A string quoted for a message, shortened when long.
pub(crate) fn quote_excerpt(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema() {
        for null in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(value(null, true), Value::Null, "{null:?}");
            assert_eq!(value(null, false), Value::Str(null));
        }
        assert_eq!(value("0x1F", true), Value::Int(Some(31)));
        assert_eq!(value("0o17", true), Value::Int(Some(15)));
        assert_eq!(value("-3", true), Value::Int(Some(-3)));
        assert_eq!(value("1e3", true), Value::Float);
        assert_eq!(value("MO-1", true), Value::Str("MO-1"));
    }

    #[test]
    fn plain_only_when_it_reads_back() {
        for s in ["MO-1", "OAK-TABLE", "a_b", "x.y/z"] {
            assert!(plain_is_safe(s), "{s}");
        }
        for s in [
            "", "null", "Null", "true", "TRUE", "yes", "on", "1", "0x1", ".inf", "a b", "a:b", "-x",
        ] {
            assert!(!plain_is_safe(s), "{s}");
        }
    }
}

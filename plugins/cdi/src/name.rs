//! CDI qualified device names (`vendor.com/class=name`) and the rules for their parts.

/// A parsed `kind=name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Qualified {
    pub vendor: String,
    pub class: String,
    pub name: String,
}

impl Qualified {
    pub fn kind(&self) -> String {
        format!("{}/{}", self.vendor, self.class)
    }
}

impl std::fmt::Display for Qualified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}={}", self.vendor, self.class, self.name)
    }
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Vendor: domain-like (letters, digits, `.`, `-`, `_`), starting and ending alphanumeric.
pub fn valid_vendor(v: &str) -> bool {
    !v.is_empty()
        && v.chars().all(|c| alnum(c) || ".-_".contains(c))
        && v.starts_with(alnum)
        && v.ends_with(alnum)
}

/// Class: letters, digits, `-`, `_` (and `.`, allowed only from cdiVersion 0.6.0).
pub fn valid_class(c: &str) -> bool {
    !c.is_empty() && c.chars().all(|x| alnum(x) || "-_.".contains(x)) && c.starts_with(alnum)
}

/// Device name: letters, digits, `-`, `_`, `.`, `:`; starts and ends alphanumeric.
pub fn valid_device_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars().all(|c| alnum(c) || "-_.:".contains(c))
        && n.starts_with(alnum)
        && n.ends_with(alnum)
}

/// Splits `vendor/class` into its parts when both are valid.
pub fn parse_kind(kind: &str) -> Option<(String, String)> {
    let (v, c) = kind.split_once('/')?;
    (valid_vendor(v) && valid_class(c)).then(|| (v.to_string(), c.to_string()))
}

/// Parses `vendor/class=name`.
pub fn parse(q: &str) -> Option<Qualified> {
    let (kind, name) = q.split_once('=')?;
    let (vendor, class) = parse_kind(kind)?;
    valid_device_name(name).then(|| Qualified {
        vendor,
        class,
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        let q = parse("nvidia.com/gpu=0").unwrap();
        assert_eq!(
            (q.kind(), q.name.as_str()),
            ("nvidia.com/gpu".to_string(), "0")
        );
        assert!(parse("nvidia.com/gpu").is_none());
        assert!(parse("nvidia.com=gpu").is_none());
        assert!(parse("nvidia.com/gpu=-x").is_none());
        assert!(parse("vendor/class=a:b.c").is_some());
        assert!(parse("/class=a").is_none());
    }
}

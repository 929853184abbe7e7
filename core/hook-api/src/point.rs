//! Hook points (`mutate_config`, `pre_start`, `post_delete`) and the `HookPoints` bit set shared
//! by the trait, the C ABI and the Lua adapter (hooks.md §1, §3). Nothing here dispatches.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// One hook point. Its string form is used everywhere: Lua, ABI JSON, config files, logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookPoint {
    MutateConfig,
    PreStart,
    PostDelete,
}

impl HookPoint {
    /// All points, in lifecycle order.
    pub const ALL: [HookPoint; 3] = [
        HookPoint::MutateConfig,
        HookPoint::PreStart,
        HookPoint::PostDelete,
    ];

    /// `mutate_config`, `pre_start` or `post_delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookPoint::MutateConfig => "mutate_config",
            HookPoint::PreStart => "pre_start",
            HookPoint::PostDelete => "post_delete",
        }
    }

    /// Parses the string form.
    pub fn parse(s: &str) -> Option<HookPoint> {
        HookPoint::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The ABI bit of this point.
    pub fn bit(self) -> u32 {
        match self {
            HookPoint::MutateConfig => 1,
            HookPoint::PreStart => 2,
            HookPoint::PostDelete => 4,
        }
    }

    /// The point of a single ABI bit.
    pub fn from_bit(bit: u32) -> Option<HookPoint> {
        HookPoint::ALL.into_iter().find(|p| p.bit() == bit)
    }
}

impl fmt::Display for HookPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A small `Copy` set of hook points; the bits are the C ABI's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HookPoints(u32);

impl HookPoints {
    pub const NONE: HookPoints = HookPoints(0);
    pub const MUTATE_CONFIG: HookPoints = HookPoints(1);
    pub const PRE_START: HookPoints = HookPoints(2);
    pub const POST_DELETE: HookPoints = HookPoints(4);
    /// Every bit v1 knows.
    pub const ALL_BITS: u32 = 7;

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The set for `bits`, or `None` when an unknown bit is set.
    pub fn from_bits(bits: u32) -> Option<HookPoints> {
        (bits & !Self::ALL_BITS == 0).then_some(HookPoints(bits))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, point: HookPoint) -> bool {
        self.0 & point.bit() != 0
    }

    /// Adds one point.
    pub fn with(self, point: HookPoint) -> HookPoints {
        HookPoints(self.0 | point.bit())
    }

    /// The points in the set, in lifecycle order.
    pub fn iter(self) -> impl Iterator<Item = HookPoint> {
        HookPoint::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Comma-separated names (`mutate_config,pre_start`).
    pub fn names(self) -> String {
        self.iter()
            .map(HookPoint::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl From<HookPoint> for HookPoints {
    fn from(p: HookPoint) -> Self {
        HookPoints(p.bit())
    }
}

impl BitOr for HookPoints {
    type Output = HookPoints;
    fn bitor(self, rhs: HookPoints) -> HookPoints {
        HookPoints(self.0 | rhs.0)
    }
}

impl BitOrAssign for HookPoints {
    fn bitor_assign(&mut self, rhs: HookPoints) {
        self.0 |= rhs.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_names_round_trip() {
        let p = HookPoints::MUTATE_CONFIG | HookPoints::POST_DELETE;
        assert_eq!(p.bits(), 5);
        assert!(p.contains(HookPoint::PostDelete));
        assert!(!p.contains(HookPoint::PreStart));
        assert_eq!(p.names(), "mutate_config,post_delete");
        assert_eq!(HookPoints::from_bits(8), None);
        assert_eq!(HookPoint::parse("pre_start"), Some(HookPoint::PreStart));
        assert_eq!(HookPoint::parse("prestart"), None);
    }
}

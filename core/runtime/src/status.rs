//! `Status` and `Op`: which operation is allowed in which status, and the refusal message
//! (oci-reference.md §5.11). The whole table lives in [`Status::allows`]; everything here is
//! pure.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only in sifter's record: a create in progress, or one whose creator died.
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }

    /// Parses the `status` of the runtime's `state` JSON.
    pub fn from_runtime(s: &str) -> Option<Status> {
        match s {
            "creating" => Some(Status::Creating),
            "created" => Some(Status::Created),
            "running" => Some(Status::Running),
            "paused" => Some(Status::Paused),
            "stopped" => Some(Status::Stopped),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operations the table governs (`state` and `list` are allowed everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Start,
    Attach,
    Exec,
    Kill,
    Pause,
    Resume,
    Update,
    Delete,
    /// `delete --force`.
    ForceDelete,
}

impl Status {
    /// The §5.11 table.
    pub fn allows(self, op: Op) -> bool {
        use Status::*;
        match op {
            Op::Start => self == Created,
            Op::Attach => matches!(self, Created | Running | Paused),
            Op::Exec | Op::Pause => self == Running,
            Op::Kill => matches!(self, Created | Running | Paused),
            Op::Resume => self == Paused,
            Op::Update => matches!(self, Created | Running),
            Op::Delete => matches!(self, Created | Stopped),
            Op::ForceDelete => true,
        }
    }

    /// `Ok` when allowed, else the §5.11 refusal for container `id`.
    pub fn check(self, op: Op, id: &str) -> crate::Result<()> {
        if self.allows(op) {
            Ok(())
        } else {
            Err(crate::RuntimeError::WrongStatus {
                message: refusal(op, id, self),
            })
        }
    }

    /// The status a successful `op` leads to, where sifter knows it without asking the
    /// runtime (`None`: unchanged, or up to the runtime, as after a kill).
    pub fn after(self, op: Op) -> Option<Status> {
        match op {
            Op::Start | Op::Resume => Some(Status::Running),
            Op::Pause => Some(Status::Paused),
            _ => None,
        }
    }
}

/// The refusal message for `op` on container `id` in `status` (§5.11, last column).
pub fn refusal(op: Op, id: &str, status: Status) -> String {
    match op {
        Op::Start => format!("cannot start container \"{id}\": it is {status} (must be created)"),
        Op::Attach => format!("cannot attach to container \"{id}\": it is {status}"),
        Op::Exec => {
            format!("cannot exec in container \"{id}\": it is {status} (must be running)")
        }
        Op::Kill => format!("cannot kill container \"{id}\": it is {status}"),
        Op::Pause => format!("cannot pause container \"{id}\": it is {status} (must be running)"),
        Op::Resume => format!("cannot resume container \"{id}\": it is {status} (must be paused)"),
        Op::Update => {
            format!("cannot update container \"{id}\": it is {status} (must be created or running)")
        }
        Op::Delete | Op::ForceDelete => format!(
            "cannot delete container \"{id}\": it is {status} (stop it first or use --force)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_spec() {
        use Status::*;
        let ops = [
            Op::Start,
            Op::Attach,
            Op::Exec,
            Op::Kill,
            Op::Pause,
            Op::Resume,
            Op::Update,
            Op::Delete,
            Op::ForceDelete,
        ];
        let mut out = String::new();
        for op in ops {
            out.push_str(&format!("{:<12}", format!("{op:?}")));
            for st in [Creating, Created, Running, Paused, Stopped] {
                out.push_str(if st.allows(op) { " ✓" } else { " ✗" });
            }
            out.push('\n');
        }
        insta::assert_snapshot!(out, @r"
        Start        ✗ ✓ ✗ ✗ ✗
        Attach       ✗ ✓ ✓ ✓ ✗
        Exec         ✗ ✗ ✓ ✗ ✗
        Kill         ✗ ✓ ✓ ✓ ✗
        Pause        ✗ ✗ ✓ ✗ ✗
        Resume       ✗ ✗ ✗ ✓ ✗
        Update       ✗ ✓ ✓ ✗ ✗
        Delete       ✗ ✓ ✗ ✗ ✓
        ForceDelete  ✓ ✓ ✓ ✓ ✓
        ");
    }

    #[test]
    fn refusal_names_status_and_rule() {
        insta::assert_snapshot!(refusal(Op::Start, "c1", Status::Running), @r#"cannot start container "c1": it is running (must be created)"#);
        insta::assert_snapshot!(refusal(Op::Delete, "c1", Status::Paused), @r#"cannot delete container "c1": it is paused (stop it first or use --force)"#);
        assert!(Status::Created.check(Op::Exec, "c1").is_err());
        assert!(Status::Running.check(Op::Exec, "c1").is_ok());
        assert_eq!(Status::Created.after(Op::Start), Some(Status::Running));
    }

    #[test]
    fn runtime_status_strings() {
        assert_eq!(Status::from_runtime("paused"), Some(Status::Paused));
        assert_eq!(Status::from_runtime("gone"), None);
    }
}

//! `UserInfo`: the invoker of the current operation (hooks.md §4), read from `/proc/self/status`,
//! `SUDO_*` (trusted only when the real uid is 0) and the passwd and group files. Lookups are
//! pure functions over the file texts so they can be tested without touching the host.

use serde::{Deserialize, Serialize};

/// The invoking user as hooks see it (`ctx.user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub groups: Vec<u32>,
    pub via_sudo: bool,
}

/// One passwd entry (`name:x:uid:gid:...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Parses passwd text; malformed lines are skipped.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || f[0].is_empty() || line.starts_with('#') {
                return None;
            }
            Some(PasswdEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
            })
        })
        .collect()
}

/// The name of the first [`parse_passwd`] entry with `uid`, found without building the list
/// (every `create` asks, for the invoker).
pub fn passwd_name(text: &str, uid: u32) -> Option<String> {
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let (name, _, u, g) = (f.next()?, f.next()?, f.next()?, f.next()?);
        let valid = !name.is_empty() && !line.starts_with('#') && g.parse::<u32>().is_ok();
        (valid && u.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// Supplementary gids of `name` from group text, plus `primary`, sorted and deduplicated.
pub fn groups_of(group_text: &str, name: &str, primary: u32) -> Vec<u32> {
    let mut out = vec![primary];
    for line in group_text.lines() {
        let mut f = line.split(':');
        let (Some(_), Some(_), Some(gid), Some(members)) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        if members.split(',').any(|m| m == name)
            && let Ok(gid) = gid.parse()
        {
            out.push(gid);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The real and effective ids read from `/proc/self/status` (`Uid:` and `Gid:` lines).
pub fn proc_ids(status: &str) -> Option<((u32, u32), (u32, u32))> {
    let field = |key: &str| -> Option<(u32, u32)> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let mut it = line[key.len()..].split_whitespace();
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    };
    Some((field("Uid:")?, field("Gid:")?))
}

/// Inputs of `UserInfo::resolve`, so the rules can be tested with any environment.
#[derive(Debug, Clone, Default)]
pub struct UserSources<'a> {
    pub real_uid: u32,
    pub real_gid: u32,
    pub sudo_uid: Option<&'a str>,
    pub sudo_gid: Option<&'a str>,
    pub sudo_user: Option<&'a str>,
    pub passwd: &'a str,
    pub group: &'a str,
}

impl UserInfo {
    /// Applies the hooks.md §4 rules: `SUDO_*` only when the real uid is 0; the passwd name of
    /// the uid wins over a disagreeing `SUDO_USER`; the decimal uid when there is no name.
    pub fn resolve(src: &UserSources<'_>) -> UserInfo {
        let sudo = if src.real_uid == 0 {
            match (
                src.sudo_uid.and_then(|s| s.parse::<u32>().ok()),
                src.sudo_gid.and_then(|s| s.parse::<u32>().ok()),
            ) {
                (Some(u), Some(g)) => Some((u, g)),
                _ => None,
            }
        } else {
            None
        };
        let (uid, gid, via_sudo) = match sudo {
            Some((u, g)) => (u, g, true),
            None => (src.real_uid, src.real_gid, false),
        };
        let passwd_name = passwd_name(src.passwd, uid);
        let name = match (via_sudo, passwd_name, src.sudo_user) {
            (_, Some(n), _) => n,
            (true, None, Some(s)) if !s.is_empty() => s.to_string(),
            _ => uid.to_string(),
        };
        let groups = groups_of(src.group, &name, gid);
        UserInfo {
            uid,
            gid,
            name,
            groups,
            via_sudo,
        }
    }

    /// The invoker of this process, from `/proc/self/status`, the environment and `/etc`.
    pub fn current() -> UserInfo {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let ((real_uid, _), (real_gid, _)) = proc_ids(&status).unwrap_or(((0, 0), (0, 0)));
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let (su, sg, sn) = (
            std::env::var("SUDO_UID").ok(),
            std::env::var("SUDO_GID").ok(),
            std::env::var("SUDO_USER").ok(),
        );
        let user = UserInfo::resolve(&UserSources {
            real_uid,
            real_gid,
            sudo_uid: su.as_deref(),
            sudo_gid: sg.as_deref(),
            sudo_user: sn.as_deref(),
            passwd: &passwd,
            group: &group,
        });
        #[cfg(feature = "ffi")]
        if let Some(claimed) = sn.as_deref()
            && user.via_sudo
            && claimed != user.name
        {
            tracing::warn!(
                sudo_user = claimed,
                uid = user.uid,
                "SUDO_USER {claimed} disagrees with the passwd name {} of SUDO_UID {}; using {}",
                user.name,
                user.uid,
                user.name
            );
        }
        user
    }

    /// Fills every field from passwd and group text for `who` (a uid or a name), as
    /// `hooks preview --as-user` does; `None` for an unknown account.
    pub fn lookup_in(who: &str, passwd: &str, group: &str) -> Option<UserInfo> {
        let users = parse_passwd(passwd);
        let entry = match who.parse::<u32>() {
            Ok(uid) => users.into_iter().find(|e| e.uid == uid)?,
            Err(_) => users.into_iter().find(|e| e.name == who)?,
        };
        Some(UserInfo {
            uid: entry.uid,
            gid: entry.gid,
            groups: groups_of(group, &entry.name, entry.gid),
            name: entry.name,
            via_sudo: false,
        })
    }

    /// `lookup_in` against `/etc/passwd` and `/etc/group`.
    pub fn lookup(who: &str) -> Option<UserInfo> {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        UserInfo::lookup_in(who, &passwd, &group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nalice:x:1000:\ngpu:x:3050:alice,bob\n";

    #[test]
    fn sudo_is_trusted_only_for_real_root() {
        let src = UserSources {
            real_uid: 1000,
            real_gid: 1000,
            sudo_uid: Some("0"),
            sudo_gid: Some("0"),
            sudo_user: Some("root"),
            passwd: PASSWD,
            group: GROUP,
        };
        let u = UserInfo::resolve(&src);
        assert_eq!((u.uid, u.name.as_str(), u.via_sudo), (1000, "alice", false));
        assert_eq!(u.groups, vec![1000, 3050]);
        let root = UserInfo::resolve(&UserSources {
            real_uid: 0,
            real_gid: 0,
            sudo_uid: Some("1000"),
            sudo_gid: Some("1000"),
            sudo_user: Some("mallory"),
            ..src
        });
        assert_eq!(
            (root.uid, root.name.as_str(), root.via_sudo),
            (1000, "alice", true)
        );
    }

    #[test]
    fn passwd_name_agrees_with_the_parsed_list() {
        let text = "#x:x:5:5\n:x:5:5\nbad:x:5:notgid\nshort:x:5\nalice:x:5:5::/:\n\
                    bob:x:5:6::/:\nroot:x:0:0\nweird:x:99999999999:1\n";
        let list = parse_passwd(text);
        for uid in [0, 5, 6, 7, 99999] {
            let want = list.iter().find(|e| e.uid == uid).map(|e| e.name.clone());
            assert_eq!(passwd_name(text, uid), want, "uid {uid}");
        }
        assert_eq!(passwd_name(text, 5).as_deref(), Some("alice"));
        let groups = "g1:x:10:alice,bob\nbroken:x\ng2:x:11:bob\ng3:x:nan:alice\ng4:x:12:alice\n";
        assert_eq!(groups_of(groups, "alice", 5), vec![5, 10, 12]);
    }

    #[test]
    fn unknown_uid_uses_decimal_name() {
        let u = UserInfo::resolve(&UserSources {
            real_uid: 4242,
            real_gid: 4242,
            passwd: PASSWD,
            group: GROUP,
            ..Default::default()
        });
        assert_eq!(u.name, "4242");
    }

    #[test]
    fn lookup_by_name_and_uid() {
        assert_eq!(
            UserInfo::lookup_in("alice", PASSWD, GROUP).unwrap().uid,
            1000
        );
        assert_eq!(
            UserInfo::lookup_in("0", PASSWD, GROUP).unwrap().name,
            "root"
        );
        assert!(UserInfo::lookup_in("nobody", PASSWD, GROUP).is_none());
    }

    #[test]
    fn proc_status_ids() {
        let s = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n";
        assert_eq!(proc_ids(s), Some(((1000, 0), (100, 100))));
    }
}

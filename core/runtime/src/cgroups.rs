//! Where a runtime puts a container's cgroups, so that `delete --force` of a create killed
//! half-way can remove the empty ones it leaves (the runtime no longer knows them).
//!
//! runc and crun read `linux.cgroupsPath`: a `slice:prefix:name` triple goes to systemd, an
//! absolute path is taken from each hierarchy's root, and anything else is relative to the
//! cgroup the runtime itself runs in. Unset means the container ID: runc takes it relative,
//! crun from the root, so both places are tried. On a host
//! where the caller sits in a nested cgroup of some hierarchy (a login session's memory cgroup,
//! a batch job's cgroup) the container's cgroup is nested there too.

use std::path::{Path, PathBuf};

/// Where the runtime was told to put the container's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `slice:prefix:name`: systemd owns the scope and removes it.
    Systemd,
    /// From the root of every hierarchy.
    Absolute(PathBuf),
    /// Below the cgroup of the process that ran the runtime, in each hierarchy.
    Relative(PathBuf),
    /// Unset: the container ID, in both of the places above.
    Unset(PathBuf),
}

impl Placement {
    /// From the effective config's `linux.cgroupsPath` (`None`: unset) for container `id`.
    pub fn of(cgroups_path: Option<&str>, id: &str) -> Placement {
        match cgroups_path {
            Some(p) if p.contains(':') => Placement::Systemd,
            Some(p) if p.starts_with('/') => Placement::Absolute(p.into()),
            Some(p) if !p.is_empty() => Placement::Relative(p.into()),
            _ => Placement::Unset(id.into()),
        }
    }
}

/// The cgroup paths of a process (`/proc/PID/cgroup` text) as (hierarchy directory names
/// under the cgroup mount, path): `memory` for `4:memory:/a`, `cpu,cpuacct`, `cpu` and
/// `cpuacct` for a joined hierarchy, `systemd` for `name=systemd`, and `unified` plus the
/// mount itself (an empty name) for the v2 line `0::/a`.
pub fn own_paths(proc_cgroup: &str) -> Vec<(Vec<String>, PathBuf)> {
    proc_cgroup
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(3, ':');
            let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
            let names = if controllers.is_empty() {
                vec!["unified".to_string(), String::new()]
            } else {
                let mut names = vec![controllers.trim_start_matches("name=").to_string()];
                if controllers.contains(',') {
                    names.extend(controllers.split(',').map(str::to_string));
                }
                names
            };
            Some((names, PathBuf::from(path)))
        })
        .collect()
}

/// The directories of the caller's own cgroups under the cgroup mount `root`, one per
/// hierarchy directory name of [`own_paths`], in the order of `/proc/self/cgroup` text `own`.
/// A path outside the cgroup namespace's root (the kernel shows it with `..`) has none.
pub fn own_dirs(root: &Path, own: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (names, path) in own_paths(own) {
        if path
            .components()
            .any(|c| c == std::path::Component::ParentDir)
        {
            continue;
        }
        let base = path.strip_prefix("/").unwrap_or(&path);
        out.extend(names.into_iter().map(|name| root.join(name).join(base)));
    }
    out
}

/// Candidate cgroup directories of the container under the cgroup mount `root`, sorted and
/// without duplicates; `own` is `/proc/self/cgroup` of the caller (the runtime inherited the
/// cgroups of whoever started conmon, normally the same user session). Paths with `..` are
/// refused.
pub fn candidates(root: &Path, placement: &Placement, own: &str) -> Vec<PathBuf> {
    let rel = |p: &Path| -> Option<PathBuf> {
        let r = p.strip_prefix("/").unwrap_or(p);
        (!r.components().any(|c| c == std::path::Component::ParentDir)
            && r.components().next().is_some())
        .then(|| r.to_path_buf())
    };
    let (from_root, from_own) = match placement {
        Placement::Systemd => (None, None),
        Placement::Absolute(p) => (rel(p), None),
        Placement::Relative(p) => (None, rel(p)),
        Placement::Unset(p) => (rel(p), rel(p)),
    };
    let mut out = Vec::new();
    if let Some(r) = from_root {
        out.push(root.join(&r));
        out.extend(
            crate::ops::sorted_paths(root)
                .into_iter()
                .map(|h| h.join(&r)),
        );
    }
    if let Some(r) = from_own {
        out.extend(own_dirs(root, own).into_iter().map(|d| d.join(&r)));
    }
    out.sort();
    out.dedup();
    out
}

/// `rmdir` of every candidate, deepest first (sorted, a child comes after its parent): a
/// missing one fails harmlessly, and a cgroup that still has processes or children refuses,
/// so this never disturbs a live container.
pub fn remove_empty(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "10:hugetlb:/\n9:name=systemd:/\n4:memory:/session/x\n\
                          2:cpu,cpuacct:/\n0::/user.slice\n";

    #[test]
    fn placement_follows_cgroups_path() {
        assert_eq!(Placement::of(None, "c1"), Placement::Unset("c1".into()));
        assert_eq!(Placement::of(Some(""), "c1"), Placement::Unset("c1".into()));
        assert_eq!(
            Placement::of(Some("a/b"), "c1"),
            Placement::Relative("a/b".into())
        );
        assert_eq!(
            Placement::of(Some("/a/b"), "c1"),
            Placement::Absolute("/a/b".into())
        );
        assert_eq!(
            Placement::of(Some("system.slice:x:y"), "c1"),
            Placement::Systemd
        );
    }

    #[test]
    fn own_paths_names_every_hierarchy_directory() {
        let p = own_paths(HYBRID);
        assert_eq!(p[0], (vec!["hugetlb".to_string()], PathBuf::from("/")));
        assert_eq!(p[1].0, vec!["systemd".to_string()]);
        assert_eq!(
            p[2],
            (vec!["memory".to_string()], PathBuf::from("/session/x"))
        );
        assert_eq!(p[3].0, vec!["cpu,cpuacct", "cpu", "cpuacct"]);
        assert_eq!(
            p[4],
            (
                vec!["unified".to_string(), String::new()],
                "/user.slice".into()
            )
        );
        assert!(own_paths("garbage\n").is_empty());
    }

    #[test]
    fn relative_placement_nests_under_the_callers_cgroups() {
        let root = Path::new("/sys/fs/cgroup");
        let c = candidates(root, &Placement::Relative("c1".into()), HYBRID);
        let has = |p: &str| c.contains(&PathBuf::from(p));
        assert!(has("/sys/fs/cgroup/memory/session/x/c1"), "{c:?}");
        assert!(has("/sys/fs/cgroup/hugetlb/c1"));
        assert!(has("/sys/fs/cgroup/cpu/c1") && has("/sys/fs/cgroup/cpu,cpuacct/c1"));
        assert!(has("/sys/fs/cgroup/unified/user.slice/c1"));
        assert!(has("/sys/fs/cgroup/user.slice/c1"));
        assert!(!has("/sys/fs/cgroup/memory/c1"));
        let mut sorted = c.clone();
        sorted.sort();
        assert_eq!(c, sorted);
    }

    #[test]
    fn unset_placement_tries_the_roots_and_the_callers_cgroups() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("memory")).unwrap();
        let c = candidates(dir.path(), &Placement::Unset("c1".into()), HYBRID);
        assert!(c.contains(&dir.path().join("memory/c1")), "{c:?}");
        assert!(c.contains(&dir.path().join("memory/session/x/c1")), "{c:?}");
        assert!(c.contains(&dir.path().join("c1")), "{c:?}");
    }

    #[test]
    fn absolute_placement_takes_each_hierarchy_root() {
        let dir = tempfile::tempdir().unwrap();
        for h in ["memory", "pids"] {
            std::fs::create_dir(dir.path().join(h)).unwrap();
        }
        let c = candidates(dir.path(), &Placement::Absolute("/a/c1".into()), HYBRID);
        let want: Vec<PathBuf> = ["a/c1", "memory/a/c1", "pids/a/c1"]
            .iter()
            .map(|p| dir.path().join(p))
            .collect();
        assert_eq!(c, want);
    }

    #[test]
    fn own_dirs_skip_cgroups_outside_the_namespace() {
        let own = "4:memory:/../outside\n3:pids:/job/1\n";
        let d = own_dirs(Path::new("/r"), own);
        assert_eq!(d, [PathBuf::from("/r/pids/job/1")]);
        let c = candidates(Path::new("/r"), &Placement::Relative("c1".into()), own);
        assert_eq!(c, [PathBuf::from("/r/pids/job/1/c1")]);
    }

    #[test]
    fn escaping_or_systemd_paths_give_nothing() {
        let root = Path::new("/sys/fs/cgroup");
        assert!(candidates(root, &Placement::Absolute("/a/../../etc".into()), HYBRID).is_empty());
        assert!(candidates(root, &Placement::Relative("../x".into()), HYBRID).is_empty());
        assert!(candidates(root, &Placement::Absolute("/".into()), HYBRID).is_empty());
        assert!(candidates(root, &Placement::Systemd, HYBRID).is_empty());
    }

    #[test]
    fn remove_empty_removes_empty_directories_only() {
        let dir = tempfile::tempdir().unwrap();
        let (empty, full) = (dir.path().join("e"), dir.path().join("f"));
        std::fs::create_dir(&empty).unwrap();
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("x"), "").unwrap();
        remove_empty(&[empty.clone(), full.clone(), dir.path().join("missing")]);
        assert!(!empty.exists());
        assert!(full.exists());
    }
}

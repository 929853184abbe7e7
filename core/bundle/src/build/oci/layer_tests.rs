//! Unit tests of `layer.rs`: whiteouts, opaque directories, links and refused escapes on
//! tars built in memory.

use super::*;

fn tar_of(entries: &[(&str, EntryType, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_mtime(1_600_000_000);
        h.set_uid(nix::unistd::geteuid().as_raw() as u64);
        h.set_gid(nix::unistd::getegid().as_raw() as u64);
        if kind.is_symlink() || kind.is_hard_link() {
            h.set_size(0);
            b.append_link(&mut h, name, data).unwrap();
        } else {
            h.set_size(data.len() as u64);
            // `append_data` refuses `..`; write the raw name so hostile names get through.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, data.as_bytes()).unwrap();
        }
    }
    b.into_inner().unwrap()
}

fn apply(root: &Path, layers: &[Vec<u8>]) -> Result<()> {
    let mut a = Applier::new(root);
    for (i, l) in layers.iter().enumerate() {
        a.apply(&format!("layer{i}"), &l[..], &mut || Ok(()))?;
    }
    a.finish()
}

fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) {
        let mut names: Vec<_> = fs::read_dir(root.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for n in names {
            let r = rel.join(&n);
            let m = fs::symlink_metadata(root.join(&r)).unwrap();
            let kind = if m.is_dir() {
                "/"
            } else if m.file_type().is_symlink() {
                "@"
            } else {
                ""
            };
            out.push(format!("{}{kind}", r.display()));
            if m.is_dir() {
                walk(root, &r, out);
            }
        }
    }
    walk(root, Path::new(""), &mut out);
    out
}

#[test]
fn whiteouts_and_opaque_dirs_hide_lower_layers_only() {
    let t = tempfile::tempdir().unwrap();
    let d = EntryType::Directory;
    let f = EntryType::Regular;
    let l0 = tar_of(&[
        ("a/", d, ""),
        ("a/x", f, "1"),
        ("a/y", f, "2"),
        ("b/", d, ""),
        ("b/z", f, "3"),
        ("gone", f, ""),
    ]);
    let l1 = tar_of(&[
        ("b/", d, ""),
        ("b/.wh..wh..opq", f, ""),
        ("b/new", f, "n"),
        (".wh.gone", f, ""),
        ("a/.wh.x", f, ""),
        ("c/.wh.nothing", f, ""),
    ]);
    apply(t.path(), &[l0, l1]).unwrap();
    assert_eq!(tree(t.path()), ["a/", "a/y", "b/", "b/new"]);
}

#[test]
fn hard_links_and_symlinks() {
    let t = tempfile::tempdir().unwrap();
    let l0 = tar_of(&[
        ("f", EntryType::Regular, "data"),
        ("h", EntryType::Link, "f"),
        ("s", EntryType::Symlink, "/etc/passwd"),
        ("d/", EntryType::Directory, ""),
        ("l", EntryType::Symlink, "d"),
        ("l/inside", EntryType::Regular, "via a relative link"),
    ]);
    apply(t.path(), &[l0]).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        fs::metadata(t.path().join("h")).unwrap().ino(),
        fs::metadata(t.path().join("f")).unwrap().ino()
    );
    assert_eq!(
        fs::read_link(t.path().join("s")).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(
        fs::read(t.path().join("d/inside")).unwrap(),
        b"via a relative link"
    );
}

#[test]
fn escapes_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    fs::create_dir(&root).unwrap();
    let f = EntryType::Regular;
    let e = apply(&root, &[tar_of(&[("../../outside", f, "x")])])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "layer layer0: entry \"../../outside\" escapes the root filesystem"
    );
    let up = tar_of(&[("up", EntryType::Symlink, ".."), ("up/outside", f, "x")]);
    let e = apply(&root, &[up]).unwrap_err().to_string();
    assert!(
        e.contains("refused: it writes through symlink \"up\" whose target \"..\" climbs out"),
        "{e}"
    );
    let abs = tar_of(&[
        ("abs", EntryType::Symlink, t.path().to_str().unwrap()),
        ("abs/outside", f, "x"),
    ]);
    let e = apply(&root, &[abs]).unwrap_err().to_string();
    assert!(
        e.contains("writes through symlink \"abs\" whose target") && e.contains("is absolute"),
        "{e}"
    );
    for wh in ["a/.wh...", "a/.wh..", "a/.wh."] {
        let l = tar_of(&[("a/", EntryType::Directory, ""), (wh, f, "")]);
        let e = apply(&root, &[l]).unwrap_err().to_string();
        assert!(e.ends_with("escapes the root filesystem"), "{wh}: {e}");
    }
    assert!(root.exists());
    let hl = tar_of(&[("h", EntryType::Link, "../outside")]);
    assert!(
        apply(&root, &[hl])
            .unwrap_err()
            .to_string()
            .contains("escapes the root filesystem")
    );
    assert!(!t.path().join("outside").exists());
}

#[test]
fn an_interruption_stops_the_layer() {
    let t = tempfile::tempdir().unwrap();
    let f = EntryType::Regular;
    let l = tar_of(&[("a", f, "1"), ("b", f, "2"), ("c", f, "3")]);
    let mut calls = 0;
    let mut on_entry = || {
        calls += 1;
        if calls == 1 {
            Ok(())
        } else {
            Err(ImportError::Interrupted {
                signal: "SIGINT".into(),
            })
        }
    };
    let e = Applier::new(t.path())
        .apply("l", &l[..], &mut on_entry)
        .unwrap_err();
    assert_eq!(e.to_string(), "interrupted by SIGINT");
    // Call 1 comes after a's data, call 2 after entry a: nothing after it was written.
    assert_eq!(tree(t.path()), ["a"]);
}

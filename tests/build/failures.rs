//! `sifter build` failures: exit 255 with a message naming the input, and nothing left behind
//! (no temp file, no staging directory, an existing OUT untouched).

use super::{build, make_tree, s};
use crate::support::Fixture;
use sifter_bundle::BundleError;
use sifter_bundle::build::{BuildOptions, Source, Stamp};
use std::path::Path;

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn bad_input_exits_255_and_leaves_out_untouched() {
    let mut fx = Fixture::new("build");
    fx.filter(r"\(os error \d+\)", "(os error N)");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    let out_dir = fx.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out_sif = out_dir.join("img.sif");
    std::fs::write(&out_sif, "old").unwrap();
    let file = fx.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let missing = fx.path().join("missing");
    let no_dir = fx.path().join("no/such/dir/img.sif");
    let cases: Vec<Vec<&str>> = vec![
        vec![s(&out_sif), s(&missing)],
        vec![s(&out_sif), s(&file)],
        vec!["--label", "novalue", s(&out_sif), s(&tree)],
        vec!["--env", "1BAD=x", s(&out_sif), s(&tree)],
        vec!["--env", "=x", s(&out_sif), s(&tree)],
        vec!["--runscript", s(&missing), s(&out_sif), s(&tree)],
        vec![s(&no_dir), s(&tree)],
        vec![s(&out_dir), s(&tree)],
    ];
    let mut transcript = String::new();
    for args in cases {
        let out = build(&args);
        let cmd = format!("build {}", args.join(" "));
        assert_eq!(out.status, 255, "{cmd}: {}", out.stderr);
        assert!(out.stderr.starts_with("FATAL:   "), "{cmd}: {}", out.stderr);
        assert_eq!(dir_listing(&out_dir), ["img.sif"], "{cmd}");
        assert_eq!(std::fs::read(&out_sif).unwrap(), b"old", "{cmd}");
        transcript.push_str(&out.transcript(&cmd));
    }
    insta::assert_snapshot!("errors", transcript);
}

#[test]
fn mksquashfs_failure_is_reported_and_cleaned_up() {
    let fx = Fixture::new("build");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    let out_dir = fx.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out_sif = out_dir.join("img.sif");
    std::fs::write(&out_sif, "old").unwrap();
    let source = Source::Dir(tree.clone());

    let mut opts = BuildOptions::new(Stamp::deterministic());
    opts.squash.program = "/bin/false".into();
    let err = sifter_bundle::build::build(&out_sif, &source, &opts).unwrap_err();
    assert!(matches!(err, BundleError::Command { .. }), "{err}");
    assert!(err.to_string().starts_with("/bin/false "), "{err}");

    opts.squash.program = fx.path().join("no-mksquashfs");
    let err = sifter_bundle::build::build(&out_sif, &source, &opts).unwrap_err();
    assert!(matches!(err, BundleError::Spawn { .. }), "{err}");

    assert_eq!(dir_listing(&out_dir), ["img.sif"]);
    assert_eq!(std::fs::read(&out_sif).unwrap(), b"old");

    // The same options with the real program replace OUT.
    opts.squash.program = "mksquashfs".into();
    sifter_bundle::build::build(&out_sif, &source, &opts).unwrap();
    assert_eq!(dir_listing(&out_dir), ["img.sif"]);
    assert!(sifter_sif::SifImage::open(&out_sif).is_ok());
}

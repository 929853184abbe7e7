//! Acceptance tests: sif. `sifter sif …` against the shared reference images, checked against
//! the independent decoding in `../shared/testdata/sif-reference/README.md`; the reader's
//! robustness against truncated and corrupted images.

mod readme;
mod robustness;

use crate::support::{self, Fixture};
use serde_json::Value;
use sifter_sif::SifImage;

fn list_json(path: &std::path::Path) -> Vec<Value> {
    let out = support::sifter(["sif", "list", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    match serde_json::from_str(&out.stdout).unwrap() {
        Value::Array(rows) => rows,
        other => panic!("sif list --format json printed {other}"),
    }
}

fn image_arg(name: &str) -> String {
    support::reference_image(name).display().to_string()
}

#[test]
fn list_table_busybox() {
    let _fx = Fixture::new("sif");
    let img = image_arg("busybox_amd64.sif");
    let out = support::sifter(["sif", "list", &img]);
    insta::assert_snapshot!("list_busybox", out.transcript("sif list busybox_amd64.sif"));
}

#[test]
fn list_table_two_groups_signed() {
    let _fx = Fixture::new("sif");
    let img = image_arg("two-groups-signed-pgp.sif");
    let out = support::sifter(["sif", "list", &img]);
    insta::assert_snapshot!(
        "list_two_groups_signed_pgp",
        out.transcript("sif list two-groups-signed-pgp.sif")
    );
}

#[test]
fn header_table_and_json_busybox() {
    let _fx = Fixture::new("sif");
    let img = image_arg("busybox_amd64.sif");
    let out = support::sifter(["sif", "header", &img]);
    insta::assert_snapshot!(
        "header_busybox",
        out.transcript("sif header busybox_amd64.sif")
    );
    let out = support::sifter(["sif", "header", "--format", "json", &img]);
    insta::assert_snapshot!(
        "header_busybox_json",
        out.transcript("sif header --format json busybox_amd64.sif")
    );
}

#[test]
fn info_table_and_json() {
    let _fx = Fixture::new("sif");
    let img = image_arg("busybox_amd64.sif");
    let out = support::sifter(["sif", "info", &img, "4"]);
    insta::assert_snapshot!(
        "info_busybox_4",
        out.transcript("sif info busybox_amd64.sif 4")
    );
    let out = support::sifter(["sif", "info", &img, "5"]);
    insta::assert_snapshot!(
        "info_busybox_5",
        out.transcript("sif info busybox_amd64.sif 5")
    );
    let out = support::sifter(["sif", "info", "--format", "json", &img, "5"]);
    insta::assert_snapshot!(
        "info_busybox_5_json",
        out.transcript("sif info --format json busybox_amd64.sif 5")
    );
}

#[test]
fn dump_writes_the_object_bytes() {
    let img = image_arg("busybox_amd64.sif");
    let out = support::sifter(["sif", "dump", &img, "3"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        r#"{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}"#
    );
    let out = support::sifter(["sif", "dump", &img, "4"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout_bytes.len(), 745472);
    assert_eq!(&out.stdout_bytes[..4], b"hsqs");
    let whole = std::fs::read(support::reference_image("busybox_amd64.sif")).unwrap();
    assert_eq!(out.stdout_bytes, whole[45056..45056 + 745472]);
}

#[test]
fn error_cases_exit_255_naming_file_and_id() {
    let mut fx = Fixture::new("sif");
    let img = image_arg("busybox_amd64.sif");
    let readme = image_arg("README.md");
    let missing = fx.path().join("missing.sif").display().to_string();
    fx.filter(r"\(os error \d+\)", "(os error N)");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("missing_file", vec!["sif", "list", &missing]),
        ("not_a_sif", vec!["sif", "header", &readme]),
        ("directory", vec!["sif", "list", "/"]),
        ("info_bad_id", vec!["sif", "info", &img, "9"]),
        ("dump_bad_id", vec!["sif", "dump", &img, "0"]),
        ("info_id_not_a_number", vec!["sif", "info", &img, "x"]),
    ];
    let mut transcript = String::new();
    for (name, args) in cases {
        let out = support::sifter(args.iter().copied());
        assert_eq!(out.status, 255, "{name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{name}: {}", out.stdout);
        assert!(
            out.stderr.starts_with("FATAL:   "),
            "{name}: {}",
            out.stderr
        );
        transcript.push_str(&out.transcript(&args.join(" ")));
    }
    insta::assert_snapshot!("errors", transcript);
}

#[test]
fn legacy_deadbeef_images_list_but_have_no_squashfs_root() {
    for name in [
        "one-group-signed-legacy.sif",
        "one-group-signed-legacy-all.sif",
        "one-group-signed-legacy-group.sif",
    ] {
        let path = support::reference_image(name);
        let rows = list_json(&path);
        assert!(rows.len() >= 3, "{name}");
        let img = SifImage::open(&path).unwrap();
        let prim = img.primary_partition().unwrap();
        assert_eq!(prim.id, 2, "{name}");
        assert_eq!(img.read_data(prim).unwrap(), [0xde, 0xad, 0xbe, 0xef]);
        let err = img.rootfs_squashfs().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: primary partition (id 2) is not a valid squashfs filesystem",
                path.display()
            )
        );
    }
    // A real squashfs passes the same check.
    let img = SifImage::open(&support::reference_image("one-group.sif")).unwrap();
    assert_eq!(img.rootfs_squashfs().unwrap().id, 2);
}

//! Unit tests of `config.rs` against the §4.5 example and the §4.3 rules.

use super::*;

fn busybox() -> ImageConfig {
    ImageConfig::parse(
        br#"{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}"#,
    )
    .unwrap()
}

fn host() -> HostInfo {
    HostInfo {
        bundle: "/var/lib/sifter/bundles/busybox".into(),
        entry_point: Some("/bin/sh".into()),
        passwd: None,
    }
}

fn generated_json(image: &ImageConfig, host: &HostInfo) -> Value {
    serde_json::from_slice(&to_bytes(&generate(image, host).spec)).unwrap()
}

#[test]
fn busybox_matches_the_spec_example_byte_for_byte() {
    // The §4.5 listing is compacted; re-serialise it in the real format and compare bytes,
    // which checks content, key order and the tab indent at once.
    let example: Value = serde_json::from_str(include_str!("busybox-example.json")).unwrap();
    let mut want = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    serde::Serialize::serialize(
        &example,
        &mut serde_json::Serializer::with_formatter(&mut want, fmt),
    )
    .unwrap();
    want.push(b'\n');
    let got = to_bytes(&generate(&busybox(), &host()).spec);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        String::from_utf8(want).unwrap()
    );
}

#[test]
fn output_is_deterministic() {
    let a = to_bytes(&generate(&busybox(), &host()).spec);
    for _ in 0..20 {
        assert_eq!(to_bytes(&generate(&busybox(), &host()).spec), a);
    }
}

#[test]
fn entrypoint_plus_cmd_without_default_cmd() {
    let img = ImageConfig {
        entrypoint: vec!["/e".into(), "-x".into()],
        ..Default::default()
    };
    assert_eq!(
        generated_json(&img, &host())["process"]["args"],
        serde_json::json!(["/e", "-x"])
    );
    let img = ImageConfig {
        entrypoint: vec!["/e".into()],
        cmd: vec!["a".into()],
        ..Default::default()
    };
    assert_eq!(
        generated_json(&img, &host())["process"]["args"],
        serde_json::json!(["/e", "a"])
    );
}

#[test]
fn no_args_falls_back_to_the_probed_entry_point() {
    let mut h = host();
    h.entry_point = Some("/.singularity.d/runscript".into());
    let v = generated_json(&ImageConfig::default(), &h);
    assert_eq!(
        v["process"]["args"],
        serde_json::json!(["/.singularity.d/runscript"])
    );
    h.entry_point = None;
    let v = generated_json(&ImageConfig::default(), &h);
    assert_eq!(v["process"]["args"], serde_json::json!(["/bin/sh"]));
}

#[test]
fn env_replaces_in_place_appends_and_warns() {
    let img = ImageConfig {
        env: ["TERM=vt100", "A=1", "NOEQ", "PATH=/x", "A=2"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    let g = generate(&img, &host());
    assert_eq!(
        g.spec.process().as_ref().unwrap().env().as_ref().unwrap(),
        &["PATH=/x".to_string(), "TERM=vt100".into(), "A=2".into()]
    );
    assert_eq!(
        g.warnings,
        [r#"oci-config.json: ignoring Env entry "NOEQ" (no '=')"#]
    );
}

#[test]
fn working_dir_and_users() {
    let passwd = "root:x:0:0::/root:/bin/sh\nsvc:x:1000:1234::/:/bin/sh\n";
    let mut h = host();
    h.passwd = Some(passwd.into());
    let cases = [
        ("", (0, 0), 0),
        ("1000", (1000, 1234), 0),
        ("1001", (1001, 0), 0),
        ("7:8", (7, 8), 0),
        ("svc", (0, 0), 1),
        ("1:grp", (0, 0), 1),
    ];
    for (u, (uid, gid), nwarn) in cases {
        let img = ImageConfig {
            user: u.into(),
            working_dir: "srv".into(),
            ..Default::default()
        };
        let g = generate(&img, &h);
        let p = g.spec.process().as_ref().unwrap();
        assert_eq!((p.user().uid(), p.user().gid()), (uid, gid), "user {u:?}");
        assert_eq!(g.warnings.len(), nwarn, "user {u:?}");
        assert_eq!(p.cwd(), std::path::Path::new("/srv"));
    }
}

#[test]
fn volumes_become_bind_mounts_after_the_defaults() {
    let img = ImageConfig {
        volumes: vec!["/data".into(), "/a_b".into()],
        ..Default::default()
    };
    let v = generated_json(&img, &host());
    let mounts = v["mounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 9);
    assert_eq!(
        mounts[7],
        serde_json::json!({"destination": "/a_b", "type": "none",
            "source": "/var/lib/sifter/bundles/busybox/volumes/_a%5Fb",
            "options": ["bind", "rw", "nosuid", "nodev"]})
    );
    assert_eq!(mounts[8]["destination"], "/data");
}

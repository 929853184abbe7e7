//! `sifter sif list/header --format json` against the decoded tables of the reference README,
//! parsed here from its Markdown: every image, every descriptor, every field.

use super::list_json;
use crate::support;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// One image's section of the README.
#[derive(Debug, Default)]
struct Section {
    size: u64,
    /// version, arch code, id, launch script, ctime, mtime
    header: Vec<String>,
    used: usize,
    total: i64,
    desc_off: i64,
    desc_size: i64,
    data_off: i64,
    data_size: i64,
    rows: Vec<Vec<String>>,
    primary: Vec<u64>,
}

/// Text between the first `open` after `from` and the next `close`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap_or_else(|| panic!("{open:?} in {s:?}")) + open.len();
    let end = s[start..].find(close).unwrap() + start;
    &s[start..end]
}

fn after<'a>(s: &'a str, key: &str) -> &'a str {
    &s[s.find(key).unwrap_or_else(|| panic!("{key:?} in {s:?}")) + key.len()..]
}

fn word(s: &str) -> &str {
    s.split([' ', ',', ';', ')']).next().unwrap()
}

fn num<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    word(s.trim()).parse().unwrap()
}

/// The README's Python-style quoted launch script (`'…\n'`).
fn unquote(s: &str) -> String {
    s.trim_matches('\'').replace("\\n", "\n")
}

fn parse_readme() -> BTreeMap<String, Section> {
    let text = std::fs::read_to_string(support::reference_image("README.md")).unwrap();
    let mut out = BTreeMap::new();
    for chunk in text.split("\n### `").skip(1) {
        let name = chunk[..chunk.find('`').unwrap()].to_string();
        let mut s = Section::default();
        for line in chunk.lines() {
            if let Some(rest) = line.strip_prefix("- size: ") {
                s.size = num(rest);
            } else if let Some(rest) = line.strip_prefix("- header: ") {
                s.header = vec![
                    between(rest, "version `", "`").to_string(),
                    between(rest, "arch `", "`").to_string(),
                    between(rest, "id `", "`").to_string(),
                    unquote(between(rest, "launch `", "`")),
                    word(after(rest, "ctime ")).to_string(),
                    word(after(rest, "mtime ")).to_string(),
                ];
            } else if let Some(rest) = line.strip_prefix("- descriptors: ") {
                s.used = num(rest);
                s.total = num(after(rest, "/ "));
                s.desc_off = num(after(rest, "at off "));
                s.desc_size = num(after(rest, "(size "));
                s.data_off = num(after(rest, "data off "));
                s.data_size = num(after(after(rest, "data off "), "size "));
            } else if let Some(rest) = line.strip_prefix("- primary system partition id(s): ") {
                if rest != "none" {
                    s.primary = rest
                        .trim_matches(|c| c == '[' || c == ']')
                        .split(',')
                        .map(num)
                        .collect();
                }
            } else if line.starts_with("| ") && !line.starts_with("| slot") {
                let cells: Vec<String> = line
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect();
                s.rows.push(cells);
            }
        }
        assert!(!s.header.is_empty(), "no header line for {name}");
        out.insert(name, s);
    }
    out
}

/// `1 (0xf0000001)` → 1; `0 (0xf0000000)` → null (no group).
fn expected_group(cell: &str) -> Value {
    match num::<u64>(cell) {
        0 => Value::Null,
        g => json!(g),
    }
}

fn expected_link(cell: &str) -> Value {
    if cell == "-" {
        Value::Null
    } else if let Some(g) = cell.strip_prefix("group ") {
        json!({ "group": num::<u64>(g) })
    } else if let Some(o) = cell.strip_prefix("obj ") {
        json!({ "object": num::<u64>(o) })
    } else {
        panic!("unknown link cell {cell:?}")
    }
}

fn expected_name(cell: &str) -> String {
    if cell == "(none)" {
        String::new()
    } else {
        cell.trim_matches('`').to_string()
    }
}

/// Checks every `key=value` token of the README's extra cell against the JSON row (and the
/// squashfs magic against the object's first bytes).
fn check_extra(image: &Path, cell: &str, row: &Value, what: &str) {
    let mut checked = 0;
    for token in cell.split_whitespace() {
        let (k, v) = token.split_once('=').unwrap_or((token, ""));
        let (field, want) = match k {
            "fstype" => (&row["partition"]["fsType"], json!(v)),
            "parttype" => (&row["partition"]["partType"], json!(v)),
            "arch" => (&row["partition"]["arch"], json!(v)),
            "hash" => (&row["signature"]["hash"], json!(v)),
            "fp" if v == "-" => (&row["signature"]["fingerprint"], Value::Null),
            "fp" => (&row["signature"]["fingerprint"], json!(v)),
            "format" => (&row["cryptoMessage"]["format"], json!(v)),
            "msg" => (&row["cryptoMessage"]["messageType"], json!(v)),
            "sbom" => (&row["sbom"]["format"], json!(v)),
            "digest" => {
                let prefix = v.trim_end_matches('…');
                let got = row["digest"].as_str().unwrap_or_default();
                assert!(
                    got.starts_with(prefix) && got.len() == "sha256:".len() + 64,
                    "{what}: digest {got:?} vs README {v:?}"
                );
                checked += 1;
                continue;
            }
            "hsqs-magic" | "no-squashfs-magic" => {
                let id = row["id"].to_string();
                let out = support::sifter(["sif", "dump", image.to_str().unwrap(), &id]);
                assert_eq!(out.status, 0, "{what}: {}", out.stderr);
                let magic = out.stdout_bytes.starts_with(b"hsqs");
                assert_eq!(magic, k == "hsqs-magic", "{what}: squashfs magic");
                checked += 1;
                continue;
            }
            other => panic!("{what}: README extra token {other:?} is not understood"),
        };
        assert_eq!(field, &want, "{what}: {k}");
        checked += 1;
    }
    if cell.is_empty() {
        for key in ["partition", "signature", "cryptoMessage", "sbom", "digest"] {
            assert!(row.get(key).is_none(), "{what}: unexpected {key}");
        }
    }
    assert_eq!(checked, cell.split_whitespace().count());
}

#[test]
fn list_and_header_json_match_the_readme_for_every_image() {
    let readme = parse_readme();
    let mut files: Vec<String> = std::fs::read_dir(support::reference_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sif"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        readme.keys().cloned().collect::<Vec<_>>(),
        "every image has a README section and every section an image"
    );
    let mut rows_checked = 0;
    for name in &files {
        let s = &readme[name];
        let path = support::reference_image(name);
        let out = support::sifter(["sif", "header", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(out.status, 0, "{name}: {}", out.stderr);
        let h: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(h["fileSize"], json!(s.size), "{name}: size");
        assert_eq!(h["version"], json!(s.header[0]), "{name}: version");
        assert_eq!(h["archCode"], json!(s.header[1]), "{name}: arch");
        assert_eq!(h["id"], json!(s.header[2]), "{name}: id");
        assert_eq!(h["launchScript"], json!(s.header[3]), "{name}: launch");
        assert_eq!(h["created"].to_string(), s.header[4], "{name}: ctime");
        assert_eq!(h["modified"].to_string(), s.header[5], "{name}: mtime");
        assert_eq!(h["descriptorsTotal"], json!(s.total), "{name}");
        assert_eq!(
            h["descriptorsFree"],
            json!(s.total - s.used as i64),
            "{name}"
        );
        assert_eq!(h["descriptorsOffset"], json!(s.desc_off), "{name}");
        assert_eq!(h["descriptorsSize"], json!(s.desc_size), "{name}");
        assert_eq!(h["dataOffset"], json!(s.data_off), "{name}");
        assert_eq!(h["dataSize"], json!(s.data_size), "{name}");

        let rows = list_json(&path);
        assert_eq!(rows.len(), s.used, "{name}: used descriptors");
        assert_eq!(rows.len(), s.rows.len(), "{name}: table rows");
        for (row, cells) in rows.iter().zip(&s.rows) {
            let what = format!("{name} slot {}", cells[0]);
            assert_eq!(row["slot"].to_string(), cells[0], "{what}: slot");
            assert_eq!(row["id"].to_string(), cells[1], "{what}: id");
            assert_eq!(row["type"], json!(cells[2]), "{what}: type");
            assert_eq!(row["group"], expected_group(&cells[3]), "{what}: group");
            assert_eq!(row["link"], expected_link(&cells[4]), "{what}: link");
            assert_eq!(row["offset"].to_string(), cells[5], "{what}: offset");
            assert_eq!(row["size"].to_string(), cells[6], "{what}: size");
            assert_eq!(
                row["sizeWithPadding"].to_string(),
                cells[7],
                "{what}: size+pad"
            );
            assert_eq!(row["name"], json!(expected_name(&cells[8])), "{what}: name");
            check_extra(&path, &cells[9], row, &what);
            rows_checked += 1;
        }
        let primary: Vec<u64> = rows
            .iter()
            .filter(|r| r["primary"] == json!(true))
            .map(|r| r["id"].as_u64().unwrap())
            .collect();
        assert_eq!(primary, s.primary, "{name}: primary partition ids");
    }
    assert_eq!(files.len(), 20);
    assert!(rows_checked >= 40, "{rows_checked}");
}

//! The shapes `sifter sif` prints: JSON objects (field names documented in README.md) and the
//! table and `Key: value` texts modelled on the reference `siftool`. Pure; `render` prints.

use serde_json::{Map, Value, json};
use sifter_sif::{Descriptor, Extra, Link, SifImage};

/// Columns of `sifter sif list`.
pub const LIST_COLUMNS: [&str; 6] = [
    "ID",
    "GROUP",
    "LINK",
    "SIF POSITION (start-end)",
    "TYPE",
    "NAME",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signature's fingerprint, `None` when all zero (DSSE signatures carry none).
fn fingerprint(fp: &[u8; 20]) -> Option<String> {
    fp.iter().any(|&b| b != 0).then(|| hex(fp))
}

/// One descriptor as JSON.
pub fn descriptor_json(d: &Descriptor) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(d.id));
    m.insert("slot".into(), json!(d.slot));
    m.insert("type".into(), json!(d.data_type.name()));
    m.insert("typeCode".into(), json!(d.data_type.raw()));
    m.insert("group".into(), json!(d.group));
    let link = match d.link {
        Link::None => Value::Null,
        Link::Object(id) => json!({ "object": id }),
        Link::Group(id) => json!({ "group": id }),
    };
    m.insert("link".into(), link);
    m.insert("offset".into(), json!(d.offset));
    m.insert("size".into(), json!(d.size));
    m.insert("sizeWithPadding".into(), json!(d.size_with_padding));
    m.insert("created".into(), json!(d.created));
    m.insert("modified".into(), json!(d.modified));
    m.insert("uid".into(), json!(d.uid));
    m.insert("gid".into(), json!(d.gid));
    m.insert("name".into(), json!(d.name));
    m.insert("primary".into(), json!(d.is_primary_partition()));
    match &d.extra {
        Extra::None => {}
        Extra::Partition(p) => {
            m.insert(
                "partition".into(),
                json!({
                    "fsType": p.fs_type.name(),
                    "partType": p.part_type.name(),
                    "arch": p.arch.go_name(),
                    "archCode": p.arch.code(),
                }),
            );
        }
        Extra::Signature {
            hash,
            fingerprint: fp,
        } => {
            m.insert(
                "signature".into(),
                json!({ "hash": hash.name(), "fingerprint": fingerprint(fp) }),
            );
        }
        Extra::CryptoMessage { format, message } => {
            m.insert(
                "cryptoMessage".into(),
                json!({ "format": format.name(), "messageType": message.name() }),
            );
        }
        Extra::Sbom { format } => {
            m.insert("sbom".into(), json!({ "format": format.name() }));
        }
        Extra::Digest(digest) => {
            m.insert("digest".into(), json!(digest));
        }
    }
    Value::Object(m)
}

/// The header as JSON.
pub fn header_json(img: &SifImage) -> Value {
    let h = img.header();
    json!({
        "launchScript": h.launch_script,
        "version": h.version,
        "arch": h.arch.go_name(),
        "archCode": h.arch.code(),
        "id": h.uuid_string(),
        "created": h.created,
        "modified": h.modified,
        "descriptorsFree": h.descriptors_free,
        "descriptorsTotal": h.descriptors_total,
        "descriptorsOffset": h.descriptors_offset,
        "descriptorsSize": h.descriptors_size,
        "dataOffset": h.data_offset,
        "dataSize": h.data_size,
        "fileSize": img.file_size(),
    })
}

fn group_text(d: &Descriptor) -> String {
    d.group.map_or_else(|| "NONE".into(), |g| g.to_string())
}

fn link_text(d: &Descriptor) -> String {
    match d.link {
        Link::None => "NONE".into(),
        Link::Object(id) => id.to_string(),
        Link::Group(id) => format!("{id} (G)"),
    }
}

/// The TYPE column: the reference's type text with partition, signature or message details.
pub fn type_text(d: &Descriptor) -> String {
    let base = d.data_type.label();
    match &d.extra {
        Extra::Partition(p) => format!(
            "{base} ({}/{}/{})",
            p.fs_type.label(),
            p.part_type.label(),
            p.arch.go_name()
        ),
        Extra::Signature { hash, .. } => format!("{base} ({})", hash.label()),
        Extra::CryptoMessage { format, message } => {
            format!("{base} ({}/{})", format.name(), message.label())
        }
        Extra::Sbom { format } => format!("{base} ({})", format.name()),
        Extra::None | Extra::Digest(_) => base.to_string(),
    }
}

/// One row of `sifter sif list`.
pub fn list_row(d: &Descriptor) -> Vec<String> {
    vec![
        d.id.to_string(),
        group_text(d),
        link_text(d),
        format!("{}-{}", d.offset, d.offset + d.size),
        type_text(d),
        d.name.clone(),
    ]
}

/// `Key:` + padding + value lines.
pub fn fields(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    let mut out = String::new();
    for (k, v) in rows {
        let line = format!("{:<width$}{v}", format!("{k}:"));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `sifter sif info` fields (the reference's `siftool info` names).
pub fn info_fields(d: &Descriptor) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Datatype", d.data_type.label().to_string()),
        ("ID", d.id.to_string()),
        ("Groupid", group_text(d)),
        ("Link", link_text(d)),
        ("Fileoff", d.offset.to_string()),
        ("Filelen", d.size.to_string()),
        ("Storelen", d.size_with_padding.to_string()),
        ("Ctime", time_text(d.created)),
        ("Mtime", time_text(d.modified)),
        ("Name", d.name.clone()),
    ];
    match &d.extra {
        Extra::None => {}
        Extra::Partition(p) => {
            rows.push(("Fstype", p.fs_type.label().to_string()));
            rows.push(("Parttype", p.part_type.label().to_string()));
            rows.push(("Arch", p.arch.go_name().to_string()));
        }
        Extra::Signature {
            hash,
            fingerprint: fp,
        } => {
            rows.push(("Hashtype", hash.label().to_string()));
            rows.push(("Entity", hex(fp).to_uppercase()));
        }
        Extra::CryptoMessage { format, message } => {
            rows.push(("Fmttype", format.name().to_string()));
            rows.push(("Msgtype", message.label().to_string()));
        }
        Extra::Sbom { format } => rows.push(("Format", format.name().to_string())),
        Extra::Digest(digest) => rows.push(("Digest", digest.clone())),
    }
    rows
}

/// `sifter sif header` fields (the reference's `siftool header` names; sizes in bytes).
pub fn header_fields(img: &SifImage) -> Vec<(&'static str, String)> {
    let h = img.header();
    vec![
        ("Launch", format!("{:?}", h.launch_script)),
        ("Magic", "SIF_MAGIC".to_string()),
        ("Version", h.version.clone()),
        ("Arch", h.arch.go_name().to_string()),
        ("ID", h.uuid_string()),
        ("Ctime", time_text(h.created)),
        ("Mtime", time_text(h.modified)),
        ("Dfree", h.descriptors_free.to_string()),
        ("Dtotal", h.descriptors_total.to_string()),
        ("Descoff", h.descriptors_offset.to_string()),
        ("Descrlen", h.descriptors_size.to_string()),
        ("Dataoff", h.data_offset.to_string()),
        ("Datalen", h.data_size.to_string()),
    ]
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS +0000 UTC` (Go's default time format, as the
/// reference prints it); valid for Go's zero time too.
pub fn time_text(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} +0000 UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_like_go() {
        assert_eq!(time_text(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(time_text(1590175859), "2020-05-22 19:30:59 +0000 UTC");
        assert_eq!(time_text(-62135596800), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(time_text(951782400), "2000-02-29 00:00:00 +0000 UTC");
    }

    #[test]
    fn fields_align_values() {
        assert_eq!(
            fields(&[
                ("ID", "1".into()),
                ("Datatype", "FS".into()),
                ("Name", "".into())
            ]),
            "ID:        1\nDatatype:  FS\nName:\n"
        );
    }
}

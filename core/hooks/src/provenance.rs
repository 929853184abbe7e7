//! Provenance (hooks.md §12.1): diffing the spec before and after one hook and attributing each
//! change, keyed by field (mount destination, device path, whole cgroup rule, env name,
//! annotation key, OCI hook path and args, else the JSON pointer). Pure.

use serde_json::{Map, Value};
use sifter_hook_api::Provenance;
use std::collections::BTreeMap;

const KEYED: [&str; 6] = [
    "/mounts",
    "/linux/devices",
    "/linux/resources/devices",
    "/process/env",
    "/annotations",
    "/hooks",
];

fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    v.pointer(pointer)
}

fn array_map(v: Option<&Value>, key: impl Fn(&Value) -> String) -> BTreeMap<String, Value> {
    v.and_then(Value::as_array)
        .map(|items| items.iter().map(|i| (key(i), i.clone())).collect())
        .unwrap_or_default()
}

fn compact(v: &Value) -> String {
    serde_json::to_string(&crate::strict::sort_keys(v.clone())).unwrap_or_default()
}

fn keyed_diff(
    out: &mut Vec<Provenance>,
    hook: &str,
    field: &str,
    before: BTreeMap<String, Value>,
    after: BTreeMap<String, Value>,
    source: impl Fn(&Value) -> Option<String>,
) {
    for (k, v) in &after {
        let action = match before.get(k) {
            None => "added",
            Some(old) if old != v => "changed",
            Some(_) => continue,
        };
        out.push(Provenance {
            hook: hook.to_string(),
            field: field.to_string(),
            key: k.clone(),
            action: action.to_string(),
            source: source(v),
        });
    }
    for k in before.keys().filter(|k| !after.contains_key(*k)) {
        out.push(Provenance {
            hook: hook.to_string(),
            field: field.to_string(),
            key: k.clone(),
            action: "removed".to_string(),
            source: None,
        });
    }
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn env_map(v: Option<&Value>) -> BTreeMap<String, Value> {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|e| {
                    let (k, val) = e.split_once('=').unwrap_or((e, ""));
                    (k.to_string(), Value::String(val.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn generic(
    out: &mut Vec<Provenance>,
    hook: &str,
    pointer: &str,
    a: Option<&Value>,
    b: Option<&Value>,
) {
    if KEYED.contains(&pointer) || a == b {
        return;
    }
    if let (Some(Value::Object(x)), Some(Value::Object(y))) = (a, b) {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
            generic(out, hook, &p, x.get(k), y.get(k));
        }
        return;
    }
    let action = match (a, b) {
        (None, _) => "added",
        (_, None) => "removed",
        _ => "changed",
    };
    out.push(Provenance {
        hook: hook.to_string(),
        field: pointer.to_string(),
        key: pointer.to_string(),
        action: action.to_string(),
        source: None,
    });
}

/// Every change from `before` to `after`, attributed to `hook`, in field order.
pub fn diff(hook: &str, before: &Value, after: &Value) -> Vec<Provenance> {
    let mut out = Vec::new();
    let dest = |v: &Value| str_of(v, "destination");
    keyed_diff(
        &mut out,
        hook,
        "mounts",
        array_map(at(before, "/mounts"), dest),
        array_map(at(after, "/mounts"), dest),
        |v| v.get("source").and_then(Value::as_str).map(str::to_string),
    );
    let path = |v: &Value| str_of(v, "path");
    keyed_diff(
        &mut out,
        hook,
        "linux.devices",
        array_map(at(before, "/linux/devices"), path),
        array_map(at(after, "/linux/devices"), path),
        |_| None,
    );
    keyed_diff(
        &mut out,
        hook,
        "linux.resources.devices",
        array_map(at(before, "/linux/resources/devices"), compact),
        array_map(at(after, "/linux/resources/devices"), compact),
        |_| None,
    );
    keyed_diff(
        &mut out,
        hook,
        "process.env",
        env_map(at(before, "/process/env")),
        env_map(at(after, "/process/env")),
        |_| None,
    );
    let annotations = |v: &Value| -> BTreeMap<String, Value> {
        at(v, "/annotations")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    keyed_diff(
        &mut out,
        hook,
        "annotations",
        annotations(before),
        annotations(after),
        |_| None,
    );
    let empty = Map::new();
    let stages = |v: &Value| {
        at(v, "/hooks")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (hb, ha) = (stages(before), stages(after));
    let names: std::collections::BTreeSet<&String> = hb.keys().chain(ha.keys()).collect();
    let hook_key = |v: &Value| {
        let mut k = str_of(v, "path");
        for a in v
            .get("args")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            k.push(' ');
            k.push_str(a.as_str().unwrap_or(""));
        }
        k
    };
    for stage in names {
        keyed_diff(
            &mut out,
            hook,
            &format!("hooks.{stage}"),
            array_map(hb.get(stage), hook_key),
            array_map(ha.get(stage), hook_key),
            |_| None,
        );
    }
    generic(&mut out, hook, "", Some(before), Some(after));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyed_changes_are_attributed() {
        let before = json!({"ociVersion": "1.0.2", "process": {"env": ["PATH=/bin", "A=1"]},
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]});
        let after = json!({"ociVersion": "1.0.2", "process": {"env": ["PATH=/usr/bin:/bin", "TZ=UTC"], "terminal": true},
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                       {"destination": "/data", "type": "bind", "source": "/scratch"}],
            "annotations": {"k": "v"}});
        let got: Vec<String> = diff("h", &before, &after)
            .into_iter()
            .map(|p| format!("{} {} {} {:?}", p.field, p.key, p.action, p.source))
            .collect();
        assert_eq!(
            got,
            [
                "mounts /data added Some(\"/scratch\")",
                "process.env PATH changed None",
                "process.env TZ added None",
                "process.env A removed None",
                "annotations k added None",
                "/process/terminal /process/terminal added None",
            ]
        );
    }

    #[test]
    fn no_change_no_entries() {
        let v = json!({"a": [1, 2], "hooks": {"prestart": [{"path": "/x"}]}});
        assert!(diff("h", &v, &v).is_empty());
    }
}

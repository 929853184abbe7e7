//! `config.json` generation (oci-reference.md §4): `generate` builds the runtime config from the
//! image config and the facts passed in (bundle path, the §4.4 entry point found in the rootfs,
//! the rootfs's `/etc/passwd`); `to_bytes` serialises it with tabs and the fixed capability
//! order. Pure: reads nothing, writes nothing.

use crate::image_config::ImageConfig;
use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxDeviceCgroupBuilder,
    LinuxNamespaceBuilder, LinuxNamespaceType, LinuxResourcesBuilder, Mount, MountBuilder,
    PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec, SpecBuilder,
    UserBuilder,
};
use serde_json::Value;
use std::path::PathBuf;

/// §4.1: the capability set, in this order in all three lists.
pub const CAPABILITIES: [&str; 15] = [
    "CAP_NET_RAW",
    "CAP_NET_BIND_SERVICE",
    "CAP_AUDIT_READ",
    "CAP_AUDIT_WRITE",
    "CAP_DAC_OVERRIDE",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_MKNOD",
    "CAP_CHOWN",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SYS_CHROOT",
];

pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// §4.4: probed in this order; `/bin/sh` is also the fallback.
pub const ENTRY_POINTS: [&str; 3] = [
    "/.singularity.d/actions/run",
    "/.singularity.d/runscript",
    "/bin/sh",
];

/// runc's default masked paths (runc libcontainer/specconv/example.go).
const MASKED: [&str; 10] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
];
const READONLY: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Facts from outside the image config.
#[derive(Debug, Clone, Default)]
pub struct HostInfo {
    /// Absolute bundle path (`root.path` = `<bundle>/rootfs`, volume sources).
    pub bundle: PathBuf,
    /// The first §4.4 entry point that exists in the rootfs (`None`: `/bin/sh` anyway).
    pub entry_point: Option<String>,
    /// The rootfs's `/etc/passwd`, for the gid of a uid-only `User`.
    pub passwd: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Generated {
    pub spec: Spec,
    /// WARNING texts (Env entries without `=`, a non-numeric user).
    pub warnings: Vec<String>,
}

/// §4.1-§4.4.
pub fn generate(image: &ImageConfig, host: &HostInfo) -> Generated {
    let mut warnings = Vec::new();
    let args: Vec<String> = if image.entrypoint.is_empty() && image.cmd.is_empty() {
        vec![host.entry_point.clone().unwrap_or_else(|| "/bin/sh".into())]
    } else {
        image.entrypoint.iter().chain(&image.cmd).cloned().collect()
    };
    let env = merge_env(&image.env, &mut warnings);
    let cwd = match image.working_dir.as_str() {
        "" => "/".to_string(),
        dir if dir.starts_with('/') => dir.to_string(),
        dir => format!("/{dir}"),
    };
    let (uid, gid) = user(&image.user, host.passwd.as_deref(), &mut warnings);

    let caps: std::collections::HashSet<Capability> = CAPABILITIES
        .iter()
        .map(|c| serde_json::from_value(Value::String((*c).into())).expect("known capability"))
        .collect();
    let mut capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(caps.clone())
        .effective(caps.clone())
        .permitted(caps)
        .build()
        .expect("capabilities build");
    capabilities.set_inheritable(None);
    capabilities.set_ambient(None);

    let mut process = ProcessBuilder::default()
        .terminal(true)
        .user(
            UserBuilder::default()
                .uid(uid)
                .gid(gid)
                .build()
                .expect("user build"),
        )
        .args(args)
        .env(env)
        .cwd(cwd)
        .capabilities(capabilities)
        .rlimits(vec![
            PosixRlimitBuilder::default()
                .typ(PosixRlimitType::RlimitNofile)
                .hard(1024u64)
                .soft(1024u64)
                .build()
                .expect("rlimit build"),
        ])
        .build()
        .expect("process build");
    // The builder starts from oci-spec's (youki's) defaults; §4.1 sets none of these.
    process.set_no_new_privileges(None);
    process.set_console_size(None);
    process.set_apparmor_profile(None);
    process.set_selinux_label(None);
    process.set_io_priority(None);
    process.set_scheduler(None);
    process.set_oom_score_adj(None);
    process.set_command_line(None);

    let namespaces = [
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Network,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
    ]
    .into_iter()
    .map(|t| {
        LinuxNamespaceBuilder::default()
            .typ(t)
            .build()
            .expect("namespace build")
    })
    .collect::<Vec<_>>();
    let resources = LinuxResourcesBuilder::default()
        .devices(vec![
            LinuxDeviceCgroupBuilder::default()
                .allow(false)
                .access("rwm")
                .build()
                .expect("device build"),
        ])
        .build()
        .expect("resources build");
    let mut linux = LinuxBuilder::default()
        .resources(resources)
        .namespaces(namespaces)
        .masked_paths(MASKED.map(String::from).to_vec())
        .readonly_paths(READONLY.map(String::from).to_vec())
        .build()
        .expect("linux build");
    linux.set_uid_mappings(None);
    linux.set_gid_mappings(None);
    linux.set_sysctl(None);
    linux.set_cgroups_path(None);
    linux.set_devices(None);
    linux.set_seccomp(None);
    linux.set_rootfs_propagation(None);
    linux.set_mount_label(None);
    linux.set_intel_rdt(None);
    linux.set_personality(None);
    linux.set_time_offsets(None);

    let mut mounts = default_mounts();
    let (volumes, _) = image.volumes();
    for v in volumes {
        mounts.push(mount(
            &v.path,
            "none",
            &host
                .bundle
                .join("volumes")
                .join(&v.escaped)
                .to_string_lossy(),
            &["bind", "rw", "nosuid", "nodev"],
        ));
    }

    let mut spec = SpecBuilder::default()
        .version(oci_spec::runtime::VERSION)
        .root(
            RootBuilder::default()
                .path(host.bundle.join("rootfs"))
                .build()
                .expect("root build"),
        )
        .mounts(mounts)
        .process(process)
        .hostname("sifter")
        .linux(linux)
        .build()
        .expect("spec build");
    if let Some(root) = spec.root().clone() {
        let mut root = root;
        root.set_readonly(None);
        spec.set_root(Some(root));
    }
    spec.set_annotations(None);
    spec.set_hooks(None);
    spec.set_domainname(None);
    Generated { spec, warnings }
}

/// §4.5: serde_json pretty output, tab indent, trailing newline, capabilities in §4.1 order.
pub fn to_bytes(spec: &Spec) -> Vec<u8> {
    let mut value = serde_json::to_value(spec).expect("a spec serialises");
    if let Some(caps) = value
        .pointer_mut("/process/capabilities")
        .and_then(Value::as_object_mut)
    {
        for list in caps.values_mut() {
            if let Some(items) = list.as_array_mut() {
                items.sort_by_key(|c| {
                    CAPABILITIES
                        .iter()
                        .position(|k| c.as_str() == Some(k))
                        .unwrap_or(usize::MAX)
                });
            }
        }
    }
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&value, &mut ser).expect("a value serialises");
    out.push(b'\n');
    out
}

fn mount(dest: &str, typ: &str, source: &str, options: &[&str]) -> Mount {
    MountBuilder::default()
        .destination(dest)
        .typ(typ)
        .source(source)
        .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()
        .expect("mount build")
}

/// §4.2, in this order.
fn default_mounts() -> Vec<Mount> {
    vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        ),
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        ),
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["nosuid", "noexec", "nodev", "relatime", "ro"],
        ),
    ]
}

/// §4.3 Env: replace in place by key (PATH included), append new keys, last duplicate wins.
fn merge_env(image_env: &[String], warnings: &mut Vec<String>) -> Vec<String> {
    let mut env = vec![DEFAULT_PATH.to_string(), "TERM=xterm".to_string()];
    for entry in image_env {
        let Some((key, _)) = entry.split_once('=') else {
            warnings.push(format!(
                "oci-config.json: ignoring Env entry \"{entry}\" (no '=')"
            ));
            continue;
        };
        match env
            .iter_mut()
            .find(|e| e.split_once('=').map(|(k, _)| k) == Some(key))
        {
            Some(slot) => *slot = entry.clone(),
            None => env.push(entry.clone()),
        }
    }
    env
}

/// §4.3 User: `uid` or `uid:gid`, decimal; a uid alone takes its gid from `/etc/passwd`.
fn user(spec: &str, passwd: Option<&str>, warnings: &mut Vec<String>) -> (u32, u32) {
    if spec.is_empty() {
        return (0, 0);
    }
    let decimal = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let parsed = match spec.split_once(':') {
        Some((u, g)) => decimal(u).zip(decimal(g)),
        None => decimal(spec).map(|uid| (uid, passwd_gid(passwd.unwrap_or(""), uid).unwrap_or(0))),
    };
    parsed.unwrap_or_else(|| {
        warnings.push(format!(
            "image user \"{spec}\" is not numeric; running as 0:0"
        ));
        (0, 0)
    })
}

/// The gid of the first `/etc/passwd` line with this uid.
fn passwd_gid(passwd: &str, uid: u32) -> Option<u32> {
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4 && f[2].parse::<u32>().ok() == Some(uid))
            .then(|| f[3].parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests;

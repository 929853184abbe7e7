//! `mksquashfs`: the pure argv builder and the one place that runs it. The tree is squashed
//! multi-threaded, with ownership and xattrs kept (no `-all-root`), gzip-compressed like the
//! reference's images (both the kernel and squashfuse read it). `--deterministic` pins the
//! superblock time; mksquashfs ≥ 4.4 is reproducible otherwise.

use crate::{BundleError, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to squash a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquashOptions {
    /// The program (looked up in `PATH` when it has no `/`).
    pub program: PathBuf,
    /// Compression threads; `None` lets mksquashfs use every CPU.
    pub processors: Option<usize>,
    /// Pin the filesystem creation time to 0 (`-mkfs-time 0`).
    pub deterministic: bool,
    /// A pseudo-file definitions file (`-pf`), for the files sifter adds.
    pub pseudo_file: Option<PathBuf>,
    /// A file of paths to leave out (`-ef`).
    pub exclude_file: Option<PathBuf>,
    /// Write the filesystem this many bytes into `dest` (`-o`), e.g. straight into its SIF
    /// partition; the bytes before it are zeroed.
    pub offset: Option<u64>,
}

impl Default for SquashOptions {
    fn default() -> Self {
        SquashOptions {
            program: PathBuf::from("mksquashfs"),
            processors: None,
            deterministic: false,
            pseudo_file: None,
            exclude_file: None,
            offset: None,
        }
    }
}

/// The arguments (without the program) that squash `root` into the new file `dest`.
pub fn mksquashfs_argv(root: &Path, dest: &Path, opts: &SquashOptions) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![root.into(), dest.into()];
    let mut push = |args: &[&str]| argv.extend(args.iter().map(OsString::from));
    push(&[
        "-noappend",
        "-no-progress",
        "-quiet",
        "-comp",
        "gzip",
        "-reproducible",
    ]);
    if let Some(n) = opts.processors {
        push(&["-processors", &n.max(1).to_string()]);
    }
    if opts.deterministic {
        push(&["-mkfs-time", "0"]);
    }
    if let Some(pf) = &opts.pseudo_file {
        argv.push("-pf".into());
        argv.push(pf.into());
    }
    if let Some(ef) = &opts.exclude_file {
        argv.push("-ef".into());
        argv.push(ef.into());
    }
    if let Some(offset) = opts.offset {
        argv.push("-o".into());
        argv.push(offset.to_string().into());
    }
    argv
}

/// Runs mksquashfs; a failure carries its argv, exit status and stderr.
pub fn run(root: &Path, dest: &Path, opts: &SquashOptions) -> Result<()> {
    let argv = mksquashfs_argv(root, dest, opts);
    let program = opts.program.display().to_string();
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    tracing::debug!(program = %program, args = ?args, "running");
    let out = Command::new(&opts.program)
        .args(&argv)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| BundleError::Spawn {
            program: program.clone(),
            source,
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let text = if stderr.trim().is_empty() {
            stdout
        } else {
            stderr
        };
        return Err(BundleError::Command {
            program,
            args,
            status: out.status.to_string(),
            stderr: text.trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: Vec<OsString>) -> Vec<String> {
        v.into_iter().map(|s| s.into_string().unwrap()).collect()
    }

    #[test]
    fn default_argv_keeps_ownership_and_uses_all_cpus() {
        let argv = strings(mksquashfs_argv(
            Path::new("/src"),
            Path::new("/t/root.sqfs"),
            &SquashOptions::default(),
        ));
        assert_eq!(
            argv.join(" "),
            "/src /t/root.sqfs -noappend -no-progress -quiet -comp gzip -reproducible"
        );
        assert!(!argv.iter().any(|a| a == "-all-root"));
    }

    #[test]
    fn deterministic_argv_pins_time_and_adds_pseudo_and_excludes() {
        let opts = SquashOptions {
            processors: Some(4),
            deterministic: true,
            pseudo_file: Some("/t/pseudo".into()),
            exclude_file: Some("/t/exclude".into()),
            offset: Some(36864),
            ..SquashOptions::default()
        };
        let argv = strings(mksquashfs_argv(Path::new("/src"), Path::new("/t/r"), &opts));
        assert_eq!(
            argv[8..].join(" "),
            "-processors 4 -mkfs-time 0 -pf /t/pseudo -ef /t/exclude -o 36864"
        );
    }
}

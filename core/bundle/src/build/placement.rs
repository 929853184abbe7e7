//! The files `sifter build` adds to the image, where the reference puts them:
//! `/.singularity.d/runscript` (`--runscript`) and `/.singularity.d/env/90-environment.sh`
//! (`--env`). They are added through mksquashfs pseudo-file definitions, so the user's source
//! tree is never written to. Pure: text in, text out.

use crate::{BundleError, Result};
use std::path::{Path, PathBuf};

pub const SINGULARITY_DIR: &str = ".singularity.d";
pub const ENV_DIR: &str = ".singularity.d/env";
pub const RUNSCRIPT: &str = ".singularity.d/runscript";
pub const ENV_SCRIPT: &str = ".singularity.d/env/90-environment.sh";

/// One file to add: its path in the image, mode, and the staged file holding its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub image_path: &'static str,
    pub mode: u32,
    pub staged: PathBuf,
}

/// Which of the parent directories already exist in the source tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeFacts {
    pub has_singularity_dir: bool,
    pub has_env_dir: bool,
}

/// Checks `KEY=VALUE` and splits it. `what` names the flag in the error.
pub fn parse_key_value(what: &'static str, text: &str) -> Result<(String, String)> {
    let bad = |reason| BundleError::BuildArgument {
        what,
        value: text.to_string(),
        reason,
    };
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE"))?;
    if k.is_empty() {
        return Err(bad("the key is empty"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// True for a POSIX shell variable name.
fn is_shell_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Single-quotes `s` for sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The text of `90-environment.sh` for these variables (the reference's header, then one
/// `export` per variable, in the order given).
pub fn env_script(env: &[(String, String)]) -> Result<String> {
    let mut out = String::from("#!/bin/sh\n# Custom environment shell code should follow\n\n");
    for (k, v) in env {
        if !is_shell_name(k) {
            return Err(BundleError::BuildArgument {
                what: "--env",
                value: format!("{k}={v}"),
                reason: "the key is not a shell variable name",
            });
        }
        out.push_str(&format!("export {k}={}\n", sh_quote(v)));
    }
    Ok(out)
}

/// mksquashfs pseudo-file definitions (`-pf` format, unquoted) adding `files` at `time`
/// (Unix seconds), creating missing parent directories (0755, root-owned).
pub fn pseudo_definitions(files: &[Added], facts: TreeFacts, time: u64) -> String {
    let mut out = String::new();
    if files.is_empty() {
        return out;
    }
    if !facts.has_singularity_dir {
        out.push_str(&format!("/{SINGULARITY_DIR} D {time} 755 0 0\n"));
    }
    if files.iter().any(|f| f.image_path.starts_with(ENV_DIR)) && !facts.has_env_dir {
        out.push_str(&format!("/{ENV_DIR} D {time} 755 0 0\n"));
    }
    for f in files {
        out.push_str(&format!(
            "/{} F {time} {:o} 0 0 cat {}\n",
            f.image_path,
            f.mode,
            sh_quote(&f.staged.display().to_string())
        ));
    }
    out
}

/// Paths to exclude from the source so that the added files replace them: the added files
/// themselves, plus `extra` (e.g. the staging directory when it lies inside the source).
pub fn exclude_list(files: &[Added], extra: &[&Path]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(f.image_path);
        out.push('\n');
    }
    for p in extra {
        out.push_str(&p.display().to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values() {
        assert_eq!(
            parse_key_value("--label", "a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        let err = parse_key_value("--label", "nokey").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --label \"nokey\": expected KEY=VALUE"
        );
        assert!(parse_key_value("--env", "=v").is_err());
    }

    #[test]
    fn env_script_quotes_values() {
        let s = env_script(&[("A".into(), "it's $x".into()), ("B_2".into(), "".into())]).unwrap();
        assert_eq!(
            s,
            "#!/bin/sh\n# Custom environment shell code should follow\n\nexport A='it'\\''s $x'\nexport B_2=''\n"
        );
        let err = env_script(&[("1A".into(), "x".into())]).unwrap_err();
        assert!(
            err.to_string().contains("not a shell variable name"),
            "{err}"
        );
    }

    #[test]
    fn pseudo_definitions_create_missing_dirs_only() {
        let files = [
            Added {
                image_path: RUNSCRIPT,
                mode: 0o755,
                staged: "/s/run script".into(),
            },
            Added {
                image_path: ENV_SCRIPT,
                mode: 0o644,
                staged: "/s/env".into(),
            },
        ];
        assert_eq!(
            pseudo_definitions(&files, TreeFacts::default(), 0),
            "/.singularity.d D 0 755 0 0\n/.singularity.d/env D 0 755 0 0\n\
             /.singularity.d/runscript F 0 755 0 0 cat '/s/run script'\n\
             /.singularity.d/env/90-environment.sh F 0 644 0 0 cat '/s/env'\n"
        );
        let facts = TreeFacts {
            has_singularity_dir: true,
            has_env_dir: true,
        };
        assert_eq!(
            pseudo_definitions(&files[..1], facts, 7),
            "/.singularity.d/runscript F 7 755 0 0 cat '/s/run script'\n"
        );
        assert_eq!(pseudo_definitions(&[], TreeFacts::default(), 0), "");
        assert_eq!(
            exclude_list(&files[..1], &[Path::new(".sifter-build-x")]),
            ".singularity.d/runscript\n.sifter-build-x\n"
        );
    }
}

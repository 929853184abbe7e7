//! The only module that prints: JSON and tables on stdout, `INFO:`/`WARNING:`/`FATAL:` lines on
//! stderr (level padded to 8 characters then a space, no colour; oci-reference.md §2.2), and the
//! single place where an error becomes exit status 255.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::args::GlobalArgs;
use crate::io::Io;
use std::ffi::OsString;
use std::io::Write;

mod log;
pub use log::init_tracing;

/// Exit status of every error (the reference's).
pub const FAILURE: u8 = 255;

/// `LEVEL:` padded to 8 characters, a space, the message (oci-reference.md §2.2).
fn prefixed(level: &str, msg: &str) -> String {
    format!("{:<8} {msg}", format!("{level}:"))
}

fn line(io: &mut Io, level: &str, msg: &str) {
    let _ = writeln!(io.stderr, "{}", prefixed(level, msg));
}

/// `INFO:    <msg>` unless quiet.
pub fn info(io: &mut Io, global: &GlobalArgs, msg: &str) {
    if !global.quiet {
        line(io, "INFO", msg);
    }
}

/// `WARNING: <msg>` unless quiet.
pub fn warning(io: &mut Io, global: &GlobalArgs, msg: &str) {
    if !global.quiet {
        line(io, "WARNING", msg);
    }
}

/// Progress of `sifter build` from an OCI image. On a terminal: one line redrawn in place
/// (layer, digest, bytes). Otherwise: one `INFO:` line per applied layer. Quiet: nothing.
pub struct BuildProgress<'a> {
    io: &'a mut Io,
    quiet: bool,
    tty: bool,
    layer: (usize, usize, String, Option<u64>),
    drawn: Option<std::time::Instant>,
    /// A redrawn line is on the terminal without its newline.
    pending: bool,
}

impl<'a> BuildProgress<'a> {
    pub fn new(io: &'a mut Io, global: &GlobalArgs) -> BuildProgress<'a> {
        let tty = io.is_stdio() && std::io::IsTerminal::is_terminal(&std::io::stderr());
        BuildProgress {
            io,
            quiet: global.quiet,
            tty,
            layer: (0, 0, String::new(), None),
            drawn: None,
            pending: false,
        }
    }

    fn draw(&mut self, done: u64, force: bool) {
        if self.quiet || !self.tty {
            return;
        }
        let now = std::time::Instant::now();
        if !force
            && self
                .drawn
                .is_some_and(|t| now.duration_since(t).as_millis() < 100)
        {
            return;
        }
        self.drawn = Some(now);
        let (i, n, name, size) = &self.layer;
        let text = sifter_bundle::build::oci::progress::layer_line(*i, *n, name, done, *size);
        let _ = write!(self.io.stderr, "\r\x1b[2K{text}");
        let _ = self.io.stderr.flush();
        self.pending = true;
    }
}

impl Drop for BuildProgress<'_> {
    fn drop(&mut self) {
        if self.pending {
            let _ = writeln!(self.io.stderr);
        }
    }
}

impl sifter_bundle::build::oci::Progress for BuildProgress<'_> {
    fn layer_start(&mut self, index: usize, total: usize, name: &str, size: Option<u64>) {
        self.layer = (index, total, name.to_string(), size);
        self.draw(0, true);
    }

    fn layer_bytes(&mut self, done: u64) {
        self.draw(done, false);
    }

    fn layer_end(&mut self, done: u64) {
        if self.quiet {
            return;
        }
        if self.tty {
            self.draw(done, true);
            return;
        }
        let (i, n, name, _) = &self.layer;
        let text = sifter_bundle::build::oci::progress::layer_line(*i, *n, name, done, None);
        line(self.io, "INFO", &text);
    }

    fn step(&mut self, what: &str) {
        if self.quiet {
            return;
        }
        if self.tty {
            let _ = writeln!(self.io.stderr, "\r\x1b[2K{what}...");
            self.pending = false;
        } else {
            line(self.io, "INFO", &format!("{what}..."));
        }
    }
}

/// After a detach from `attach`: a newline (the terminal was raw), then
/// `INFO:    Detached from container <id>; it keeps running`.
pub fn detached(io: &mut Io, global: &GlobalArgs, id: &str) {
    let _ = writeln!(io.stderr);
    info(
        io,
        global,
        &format!("Detached from container {id}; it keeps running"),
    );
}

/// Writes `text` to stdout as is.
pub fn stdout(io: &mut Io, text: &str) -> crate::Result<()> {
    stdout_bytes(io, text.as_bytes())
}

/// Writes `text` to stderr as is (`hooks preview` blocks).
pub fn stderr_text(io: &mut Io, text: &str) {
    let _ = io.stderr.write_all(text.as_bytes());
    let _ = io.stderr.flush();
}

/// Writes raw bytes to stdout (e.g. `sif dump`).
pub fn stdout_bytes(io: &mut Io, bytes: &[u8]) -> crate::Result<()> {
    io.stdout
        .write_all(bytes)
        .and_then(|()| io.stdout.flush())
        .map_err(|source| crate::CliError::Output {
            stream: "stdout",
            source,
        })
}

/// Pretty JSON (2-space indent) with a trailing newline.
pub fn json<T: serde::Serialize>(io: &mut Io, value: &T) -> crate::Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("serialising plain data cannot fail");
    text.push('\n');
    stdout(io, &text)
}

/// Renders a left-aligned table: every column but the last padded to its widest cell + 3.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 < cols {
                let pad = widths[i] + 3 - cell.chars().count();
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', pad));
            } else {
                text.push_str(cell);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    push_row(&mut header.iter().copied());
    for row in rows {
        push_row(&mut row.iter().map(String::as_str));
    }
    out
}

/// `FATAL:   <message>: <source>: …` and status 255.
pub fn fatal(io: &mut Io, err: &crate::CliError) -> u8 {
    line(io, "FATAL", &sifter_bundle::error_chain(err));
    FAILURE
}

/// A usage error: `FATAL:   <message>` plus the `--help` hint, status 255
/// (sifter differs from the reference, which exits 1; oci-reference.md §2.2 item 4).
pub fn usage_error(io: &mut Io, msg: &str, sub: Option<&str>) -> u8 {
    line(io, "FATAL", msg);
    let cmd = sub.map_or_else(|| "sifter".to_string(), |s| format!("sifter {s}"));
    let _ = writeln!(io.stderr, "Run '{cmd} --help' for usage.");
    FAILURE
}

/// Renders a clap parse result that is not a command: help and version go to stdout with
/// status 0; every other error is a usage error.
pub fn clap_error(io: &mut Io, err: &clap::Error, args: &[OsString]) -> u8 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = write!(io.stdout, "{}", err.render());
            let _ = io.stdout.flush();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(io.stdout, "{}", err.render());
            0
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid command line")
                .trim_start_matches("error: ")
                .to_string();
            usage_error(io, &first, subcommand_path(args).as_deref())
        }
    }
}

/// `oci create` from `sifter --root X oci create …`: the first two words that are not flags
/// or flag values of the global options.
fn subcommand_path(args: &[OsString]) -> Option<String> {
    let mut words = Vec::new();
    let mut skip = false;
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if skip {
            skip = false;
            continue;
        }
        if matches!(arg.as_ref(), "--root" | "--runtime" | "--config") {
            skip = true;
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        words.push(arg.into_owned());
        if words.len() == 2 || words[0] != "oci" && words[0] != "sif" && words[0] != "hooks" {
            break;
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_all_but_last_column() {
        let out = table(&["ID", "PID"], &[vec!["a".into(), "12".into()]]);
        assert_eq!(out, "ID   PID\na    12\n");
    }

    #[test]
    fn subcommand_path_skips_global_flag_values() {
        let args: Vec<OsString> = ["sifter", "--root", "/x", "oci", "kill", "id"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(subcommand_path(&args).as_deref(), Some("oci kill"));
    }
}

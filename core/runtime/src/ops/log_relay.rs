//! The log relay (oci-reference.md §5.9): the hidden `sifter oci log-relay <id>`, started by
//! `create` for `json` and `basic` logs. It follows conmon's raw k8s-file log from offset 0,
//! joins `P` fragments up to the next `F`, strips one trailing `\r`, and writes one line per
//! complete line in the chosen format. It exits once the exit file exists and the raw log is
//! read to the end.

use super::LogFormat;
use crate::{ContainerId, Engine, Result, RuntimeError};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Starts the relay detached (own session, stdio `/dev/null`); returns its PID and start time.
pub(crate) fn spawn(engine: &Engine, id: &ContainerId) -> Result<(i32, Option<u64>)> {
    use std::os::unix::process::CommandExt;
    let exe = &engine.config.sifter_exe;
    let mut argv: Vec<std::ffi::OsString> = vec![
        exe.clone().into(),
        "--root".into(),
        engine.store.root().into(),
    ];
    // The same site config as this create (the environment is cleared below).
    if engine.config.config_path.exists() {
        argv.extend(["--config".into(), engine.config.config_path.clone().into()]);
    }
    argv.extend(["oci".into(), "log-relay".into(), id.as_str().into()]);
    let mut cmd = crate::cmd::command(&argv, &engine.path_env, std::path::Path::new("/"));
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|source| RuntimeError::Spawn {
        program: exe.clone(),
        source,
    })?;
    let pid = child.id() as i32;
    let start = crate::proc::start_time(pid);
    // Reap it whenever it ends, so no zombie outlives a long-lived caller.
    std::thread::spawn(move || child.wait());
    Ok((pid, start))
}

/// One complete line of the raw log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub time: String,
    pub stream: String,
    pub text: String,
}

/// Joins k8s-file records (`<ts> <stream> <F|P> <text>`) into complete lines. Pure.
#[derive(Debug, Default)]
pub struct Joiner {
    partial: Option<Line>,
}

impl Joiner {
    pub fn push(&mut self, record: &str) -> Option<Line> {
        let mut parts = record.splitn(4, ' ');
        let (ts, stream, tag) = (parts.next()?, parts.next()?, parts.next()?);
        let text = parts.next().unwrap_or("");
        let mut line = self.partial.take().unwrap_or(Line {
            time: ts.to_string(),
            stream: stream.to_string(),
            text: String::new(),
        });
        line.text.push_str(text);
        if tag == "P" {
            self.partial = Some(line);
            return None;
        }
        if line.text.ends_with('\r') {
            line.text.pop();
        }
        Some(line)
    }
}

/// One output line in `format`. Pure.
pub fn format_line(line: &Line, format: LogFormat) -> String {
    match format {
        LogFormat::Json => {
            let mut m = serde_json::Map::new();
            m.insert("time".into(), line.time.clone().into());
            m.insert("stream".into(), line.stream.clone().into());
            m.insert("log".into(), line.text.clone().into());
            format!("{}\n", serde_json::Value::Object(m))
        }
        LogFormat::Basic | LogFormat::Kubernetes => {
            format!("{} {} {}\n", line.time, line.stream, line.text)
        }
    }
}

/// The relay process's body.
pub fn log_relay(engine: &Engine, id: &str) -> Result<()> {
    let _ = nix::unistd::setsid();
    let id = ContainerId::parse(id)?;
    let rec = engine.record(&id)?;
    let Some(raw) = rec.raw_log_path.clone() else {
        return Ok(());
    };
    let format = LogFormat::parse(&rec.log_format);
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&rec.log_path)
        .map_err(RuntimeError::io("open", &rec.log_path))?;
    let exit = engine.store.exit_file(&id);
    let mut joiner = Joiner::default();
    let mut pending = String::new();
    let mut offset = 0u64;
    loop {
        let done = exit.exists() || !engine.store.cdir(&id).exists();
        offset += read_new(&raw, offset, &mut pending);
        while let Some(nl) = pending.find('\n') {
            let record: String = pending.drain(..=nl).collect();
            if let Some(line) = joiner.push(record.trim_end_matches('\n')) {
                out.write_all(format_line(&line, format).as_bytes())
                    .map_err(RuntimeError::io("write", &rec.log_path))?;
            }
        }
        if done {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_new(path: &Path, offset: u64, into: &mut String) -> u64 {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return 0;
    }
    let mut bytes = Vec::new();
    let n = f.read_to_end(&mut bytes).unwrap_or(0);
    into.push_str(&String::from_utf8_lossy(&bytes));
    n as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_partials_and_strips_cr() {
        let mut j = Joiner::default();
        assert_eq!(j.push("2026-01-01T00:00:00.1+00:00 stdout P hel"), None);
        let l = j
            .push("2026-01-01T00:00:00.2+00:00 stdout F lo \"q\" \\\r")
            .unwrap();
        assert_eq!(l.time, "2026-01-01T00:00:00.1+00:00");
        insta::assert_snapshot!(format_line(&l, LogFormat::Json), @r#"{"time":"2026-01-01T00:00:00.1+00:00","stream":"stdout","log":"hello \"q\" \\"}"#);
        let l = j.push("T stderr F x").unwrap();
        insta::assert_snapshot!(format_line(&l, LogFormat::Basic), @"T stderr x");
    }
}

//! Drives the real `sifter` binary under a pseudo-terminal (`setsid -c` makes the pty its
//! controlling terminal): send keystrokes, wait for output, collect the exit status.

use nix::pty::openpty;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    /// `/dev/pts/N`, for resizing with `stty -F`.
    pub slave_path: std::path::PathBuf,
    /// Our own copy of the slave, held until the child has exited: while a slave is open the
    /// master never reports a hangup, so output the child wrote just before exiting cannot
    /// be dropped before the reader thread has it.
    slave: Option<std::fs::File>,
    master: std::fs::File,
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    /// Runs `cmd` (program and args taken from it) with the pty as stdio.
    pub fn spawn(cmd: &Command) -> Pty {
        let pty = openpty(None, None).unwrap();
        let slave = std::fs::File::from(pty.slave);
        use std::os::fd::AsRawFd;
        let slave_path =
            std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd())).unwrap();
        let mut c = Command::new("setsid");
        c.arg("-c").arg(cmd.get_program()).args(cmd.get_args());
        c.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()));
        let child = c.spawn().unwrap();
        let master = std::fs::File::from(pty.master);
        let out = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, sink) = (master.try_clone().unwrap(), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            slave_path,
            slave: Some(slave),
            master,
            child,
            out,
        }
    }

    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits (15 s at most) until the output holds `text` `count` times.
    pub fn expect_n(&self, text: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.output().matches(text).count() < count {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; child {:?}; output so far:\n{}",
                std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok(),
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn expect(&self, text: &str) {
        self.expect_n(text, 1);
    }

    /// Presses Enter until the shell shows a prompt (`# `): input typed before the shell has
    /// set up its line editing can be flushed by it, and conmon does not replay the prompt
    /// printed before we attached.
    pub fn wait_prompt(&mut self) {
        for _ in 0..40 {
            let before = self.output().matches("# ").count();
            self.send("\r");
            let deadline = Instant::now() + Duration::from_millis(500);
            while Instant::now() < deadline {
                if self.output().matches("# ").count() > before {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("no shell prompt; output so far:\n{}", self.output());
    }

    /// Sets the terminal size (the kernel then signals SIGWINCH to the foreground group).
    pub fn resize(&self, rows: u16, cols: u16) {
        let st = Command::new("stty")
            .arg("-F")
            .arg(&self.slave_path)
            .args(["rows", &rows.to_string(), "cols", &cols.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub fn send(&mut self, bytes: &str) {
        self.master.write_all(bytes.as_bytes()).unwrap();
    }

    /// The exit code (15 s at most).
    pub fn wait(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Let the reader drain what is buffered, then hang up.
                std::thread::sleep(Duration::from_millis(100));
                self.slave = None;
                return (st.code().unwrap_or(-1), self.output());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("pty command did not exit; output:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

//! `Io`: the standard streams a command may use, bundled so that tests can capture them.
//! Only `render` writes to them; commands that relay a container's I/O (run, attach, exec)
//! use the process's real descriptors when `Io::is_stdio` says so.

use std::io::{Read, Write};

pub struct Io {
    pub stdin: Box<dyn Read + Send>,
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    stdio: bool,
}

impl Io {
    /// The process's own stdin, stdout and stderr.
    pub fn stdio() -> Self {
        Io {
            stdin: Box::new(std::io::stdin()),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            stdio: true,
        }
    }

    /// Arbitrary streams (tests).
    pub fn new(
        stdin: Box<dyn Read + Send>,
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
    ) -> Self {
        Io {
            stdin,
            stdout,
            stderr,
            stdio: false,
        }
    }

    /// True when the streams are the process's real descriptors 0, 1 and 2.
    pub fn is_stdio(&self) -> bool {
        self.stdio
    }
}

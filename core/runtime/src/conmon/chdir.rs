//! The one file action nix's `PosixSpawnFileActions` lacks: glibc's
//! `posix_spawn_file_actions_addchdir_np` (glibc 2.29 and later), so conmon starts in
//! `CDIR/bundle` without a helper process (`env --chdir`) exec'd in front of it.
#![allow(unsafe_code)]

use nix::errno::Errno;
use nix::spawn::PosixSpawnFileActions;
use std::ffi::CStr;

/// Adds "change the working directory to `dir`" to `actions`, after the actions already in it.
pub fn add_chdir(actions: &mut PosixSpawnFileActions, dir: &CStr) -> nix::Result<()> {
    let raw = (actions as *mut PosixSpawnFileActions).cast::<libc::posix_spawn_file_actions_t>();
    // SAFETY: `PosixSpawnFileActions` is `#[repr(transparent)]` over
    // `posix_spawn_file_actions_t`, and `init()` initialised it; the exclusive borrow keeps
    // anyone else from touching it meanwhile. `dir` is NUL-terminated and glibc copies it.
    let rc = unsafe { libc::posix_spawn_file_actions_addchdir_np(raw, dir.as_ptr()) };
    match rc {
        0 => Ok(()),
        e => Err(Errno::from_raw(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::spawn::{PosixSpawnAttr, posix_spawn};
    use nix::sys::wait::{WaitStatus, waitpid};

    #[test]
    fn child_starts_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("cwd");
        let mut fa = PosixSpawnFileActions::init().unwrap();
        let d = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        add_chdir(&mut fa, &d).unwrap();
        let attr = PosixSpawnAttr::init().unwrap();
        let args = [c"/bin/sh", c"-c", c"pwd -P > cwd"];
        let pid = posix_spawn(c"/bin/sh", &fa, &attr, &args, &[c"PATH=/usr/bin:/bin"]).unwrap();
        assert!(matches!(
            waitpid(pid, None).unwrap(),
            WaitStatus::Exited(_, 0)
        ));
        let got = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            got.trim_end(),
            dir.path().canonicalize().unwrap().to_str().unwrap()
        );
    }

    #[test]
    fn a_missing_directory_fails_the_spawn() {
        let mut fa = PosixSpawnFileActions::init().unwrap();
        add_chdir(&mut fa, c"/nonexistent/sifter-test").unwrap();
        let attr = PosixSpawnAttr::init().unwrap();
        let r = posix_spawn(c"/bin/true", &fa, &attr, &[c"/bin/true"], &[c"PATH=/bin"]);
        assert_eq!(r.unwrap_err(), Errno::ENOENT);
    }
}

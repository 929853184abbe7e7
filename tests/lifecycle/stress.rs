//! Concurrency and crashes: 20 containers at once, two creates racing for one ID, and a
//! `kill -9` of sifter in the middle of create.

use super::env::Env;
use std::time::{Duration, Instant};

pub fn twenty_concurrent(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let ids: Vec<String> = (0..20).map(|i| env.id(&format!("m{i:02}"))).collect();
    let bundles: Vec<_> = (0..20)
        .map(|i| env.bundle(&format!("b{i}"), &["sleep", "1000"], false))
        .collect();
    std::thread::scope(|s| {
        for (id, b) in ids.iter().zip(&bundles) {
            let env = &env;
            s.spawn(move || {
                env.ok(&["create", "-b", b.to_str().unwrap(), id]);
                env.ok(&["start", id]);
            });
        }
    });
    let list = env.ok(&["list"]);
    let rows: Vec<&str> = list.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 20, "{}", list.stdout);
    assert!(
        rows.iter().all(|r| r.contains("running")),
        "{}",
        list.stdout
    );
    let mut sorted = ids.clone();
    sorted.sort();
    let listed: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, sorted);
    std::thread::scope(|s| {
        for id in &ids {
            let env = &env;
            s.spawn(move || env.ok(&["delete", "--force", id]));
        }
    });
    env.assert_clean();
}

pub fn same_id_races(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let id = env.id("race");
    let b1 = env.bundle("b1", &["sleep", "1000"], false);
    let b2 = env.bundle("b2", &["sleep", "1000"], false);
    let outs: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = [&b1, &b2]
            .into_iter()
            .map(|b| {
                let (env, id) = (&env, &id);
                s.spawn(move || env.oci(&["create", "-b", b.to_str().unwrap(), id]))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = outs.iter().filter(|o| o.status == 0).count();
    assert_eq!(ok, 1, "{outs:?}");
    let failed = outs.iter().find(|o| o.status != 0).unwrap();
    assert_eq!(
        failed.stderr,
        format!("FATAL:   container \"{id}\" already exists\n")
    );
    assert_eq!(env.status(&id), "created");
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// `kill -9` of sifter while it creates, then `delete --force`: no trace.
pub fn killed_during_create(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sleep", "1000"], false);
    for delay_ms in [0u64, 30, 80] {
        let id = env.id("k9");
        let mut child = env
            .bin(&["create", "-b", bundle.to_str().unwrap(), &id])
            .spawn()
            .unwrap();
        let record = env.root.join("containers").join(&id).join("state.json");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !record.exists() && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let out = env.oci(&["delete", "--force", &id]);
        assert_eq!(out.status, 0, "delay {delay_ms}: {}", out.stderr);
        // Also every cgroup named after the ID, nested ones included.
        env.assert_clean();
    }
}

/// `kill -9` of a foreground `run`: the container stays visible in `list`, and
/// `delete --force` removes every trace (oci-reference.md §2.5.7).
pub fn killed_during_run(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sleep", "1000"], false);
    let id = env.id("k9run");
    let mut child = env
        .bin(&["run", "-b", bundle.to_str().unwrap(), &id])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    env.wait_status(&id, "running");
    child.kill().unwrap();
    child.wait().unwrap();
    let list = env.ok(&["list"]);
    assert!(list.stdout.contains(&id), "{}", list.stdout);
    env.ok(&["delete", "--force", &id]);
    env.assert_clean();
}

//! Acceptance tests: the lifecycle engine as root against the real runtime, conmon and
//! kernel (oci-reference.md §2.5, §5, §7). One shared suite, generated once for runc and
//! once for crun; every test has its own `--root` under `support::test_tmp()` and random IDs,
//! and ends by checking that nothing it made remains.

mod attach;
mod basic;
mod env;
mod hooks;
mod pty;
mod rules;
mod run;
mod stress;

/// One `#[test]` per runtime and suite function.
macro_rules! per_runtime {
    ($($m:ident :: $f:ident),* $(,)?) => {
        mod runc {
            $(#[test] fn $f() { super::$m::$f("runc") })*
        }
        mod crun {
            $(#[test] fn $f() { super::$m::$f("crun") })*
        }
    };
}

per_runtime!(
    basic::seed_scenario_attach,
    basic::umount_force_deletes_the_container,
    basic::pause_resume_exec,
    basic::kill_by_name_and_number,
    basic::kill_timeout_escalates,
    basic::create_failure_rolls_back,
    basic::pid_file_and_log_formats,
    attach::detach_and_reattach,
    attach::attach_stdin_long_root,
    attach::update_from_stdin,
    attach::attach_resize,
    attach::attach_before_start_and_exec_tty,
    hooks::pre_start_veto,
    hooks::run_fires_each_point_once,
    hooks::vanished_hook_warns_at_delete,
    run::run_interactive_shell,
    run::run_exit_codes,
    run::run_killed,
    run::run_forwards_sigterm,
    rules::bundle_claim_and_duplicate_id,
    rules::list_matches_state,
    rules::recorded_runtime_wins,
    stress::twenty_concurrent,
    stress::same_id_races,
    stress::killed_during_create,
    stress::killed_during_run,
);

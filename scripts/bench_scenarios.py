"""The scenarios of scripts/bench.py: fixtures (SIFs, bundles, podman image) and one function per
scenario returning [(Scenario, targets)]. Targets map (scenario, a, b) to (text, predicate);
b None means "the median of a itself"; a ratio otherwise."""

import fcntl
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import bench as B

SEARCH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Skip(Exception):
    pass


def version(binary):
    if not binary:
        return "missing"
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0].split()[-1] if out else "?"
    except OSError:
        return "?"


class Env:
    """Scratch directory, the demo SIFs, a mounted bundle and derived bundles."""

    def __init__(self, work, quick):
        self.work = Path(work)
        self.quick = quick
        # State roots live on a tmpfs, as /run (sifter's and the runtimes' default roots) does
        # on a normal host; this machine's /run may sit on disk, where every fsync of a state
        # record would be measured too.
        self.state = self.work / "state"
        self.root = self.state / "root"          # sifter --root
        self.rt_root = self.state / "rt"         # runc/crun --root for the bare runs
        # Big inputs that take minutes to make survive between runs here.
        self.cache = self.work.parent / f"{self.work.name}-cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.mounted = []
        self.notes = []                          # report notes from set-up steps

    def sifter(self, *args, runtime=None, config=None):
        base = [B.SIFTER, "--root", self.root]
        if runtime:
            base += ["--runtime", runtime]
        base += ["--config", config or self.empty_config]
        return base + list(args)

    def setup(self):
        if self.work.exists():
            self.teardown_leftovers()
            shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        os.chmod(self.work, 0o755)
        self.state.mkdir()
        B.sh("mount", "-t", "tmpfs", "-o", "mode=0700,size=512m", "sifter-bench-state", self.state)
        self.empty_config = self.work / "empty.toml"
        self.empty_config.write_text('[hooks]\nlua_dirs = []\nplugin_dirs = []\n')
        os.chmod(self.empty_config, 0o644)
        # busybox root filesystem from the host's busybox-static
        rootfs = self.work / "rootfs"
        make_busybox_tree(rootfs)
        self.sif = self.work / "busybox.sif"
        B.sh(B.SIFTER, "build", self.sif, rootfs)
        self.bundle = self.work / "bundle"
        B.sh(*self.sifter("oci", "mount", self.sif, self.bundle))
        self.mounted.append(self.bundle)
        self.true_bundle = self.derived_bundle("true", ["/bin/true"])

    def derived_bundle(self, name, args, base=None):
        """A bundle dir whose config is the mounted one with other args, no terminal, sharing
        the mounted rootfs."""
        base = base or self.bundle
        cfg = json.loads((base / "config.json").read_text())
        cfg["process"]["args"] = args
        cfg["process"]["terminal"] = False
        cfg["root"] = {"path": str(base / "rootfs")}
        d = self.work / f"bundle-{name}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text(json.dumps(cfg, indent=2))
        return d

    def teardown_leftovers(self):
        """Cleans up after a run that was killed: containers, mounted bundles, the state tmpfs."""
        self.empty_config = self.work / "empty.toml"
        self.teardown_containers()
        for b in sorted(p for p in self.work.iterdir() if p.is_dir() and p != self.state):
            if (b / ".sifter-mount.json").exists():
                subprocess.run([B.SIFTER, "--root", self.root, "oci", "umount", "--force", b],
                               capture_output=True)
        if os.path.ismount(self.state):
            subprocess.run(["umount", self.state], capture_output=True)

    def teardown_containers(self):
        if self.root.exists():
            out = subprocess.run([B.SIFTER, "--root", self.root, "oci", "list", "--format", "json"],
                                 capture_output=True, text=True)
            try:
                for c in json.loads(out.stdout or "[]"):
                    subprocess.run([B.SIFTER, "--root", self.root, "oci", "delete", "--force", c["id"]],
                                   capture_output=True)
            except json.JSONDecodeError:
                pass

    def teardown(self):
        self.teardown_containers()
        for b in reversed(self.mounted):
            subprocess.run([B.SIFTER, "--root", self.root, "oci", "umount", "--force", b], capture_output=True)
        if os.path.ismount(self.state):
            subprocess.run(["umount", self.state], capture_output=True)


def make_busybox_tree(rootfs, extra=None):
    busybox = shutil.which("busybox") or "/bin/busybox"
    (rootfs / "bin").mkdir(parents=True, exist_ok=True)
    for d in ("etc", "tmp", "proc", "sys", "dev", "root"):
        (rootfs / d).mkdir(exist_ok=True)
    shutil.copy2(busybox, rootfs / "bin" / "busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True).stdout.split()
    for a in applets:
        p = rootfs / "bin" / a
        if not p.exists() and a != "busybox":
            p.symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")


def ratio_le(limit):
    return (f"<= {limit}", lambda v: v <= limit)


def ratio_ge(limit):
    return (f">= {limit}", lambda v: v >= limit)


# Untimed idle time before every call of a "-spaced" scenario. Back to back, a container starts
# faster the sooner it follows the previous one (here crun's `run` of /bin/true: 11.6 ms right
# after the last, 12.9 ms after 5 ms idle, 21 ms after 10 ms; runc 30 → 37 ms): the kernel's
# cgroup v1 migration (`cgroup.procs`) waits for an RCU grace period unless another one ran
# moments before. So alternating runs also measure how long after the previous container each
# candidate reaches its own; the spaced variants start every candidate from the same idle state.
SETTLE = 0.05
# The container-start and mount scenarios take tens of milliseconds per call and vary by ±50 %
# from call to call on a shared VM: they get this many times --runs, so their medians settle.
REPEAT = 3
SPACED_NOTE = ("each call follows an untimed 50 ms pause, so every candidate's container starts "
               "from the same idle kernel state (back to back, a container start is faster the "
               "sooner it follows the previous one: README, Performance: 'Back to back and spaced')")


def regimes(base):
    """(scenario name, settle, note) of the back-to-back and the spaced variant of `base`."""
    return ((base, 0.0, ""), (f"{base}-spaced", SETTLE, SPACED_NOTE))


def scenario_run(env):
    """`sifter oci run` vs the bare runtimes' own `run`, one scenario per runtime, back to back
    and spaced (see SETTLE), and, in a scenario of its own, podman; /bin/true payload. Each
    runtime gets its own scenario because the kernel finishes a container's teardown (cgroups,
    namespaces) asynchronously, and runc's slowed whichever candidate came next when all four
    alternated in one."""
    b = env.true_bundle
    env.rt_root.mkdir(exist_ok=True)
    sifter_runc = lambda: B.timed(*env.sifter("oci", "run", "-b", b, B.new_id("r")))
    sifter_crun = lambda: B.timed(*env.sifter("oci", "run", "-b", b, B.new_id("r"), runtime="crun"))
    out = []
    for rt, path, mine in (("runc", B.RUNC, sifter_runc), ("crun", B.CRUN, sifter_crun)):
        a, p = f"sifter oci run ({rt})", f"{rt} run"
        cands = {a: mine,
                 p: lambda path=path: B.timed(path, "--root", env.rt_root, "run", "-b", b, B.new_id("r"))}
        for name, settle, note in regimes(f"run-{rt}"):
            out.append((B.Scenario(name, cands, [(a, p)], note=note, settle=settle, repeat=REPEAT),
                        {(name, a, p): ratio_le(1.25)}))
    # The effect behind the spaced variants, measured on crun alone (no target).
    bare = lambda: B.timed(B.CRUN, "--root", env.rt_root, "run", "-b", b, B.new_id("g"))
    gap = {"crun run right after the previous one": bare,
           "crun run after 10 ms idle": lambda: (time.sleep(0.01), bare())[1]}
    out.append((B.Scenario("run-gap", gap, [tuple(gap)], repeat=REPEAT,
                           note="the same `crun run` back to back and after an untimed 10 ms "
                                "pause; no target"), {}))
    podman = podman_setup(env)
    if podman:
        def podman_once():
            t = B.timed(*podman_run(podman))
            # The kernel tears a network namespace down asynchronously, and podman's takes
            # long enough to slow whatever container starts next; let it finish (untimed).
            time.sleep(0.3)
            return t
        cands = {"sifter oci run (crun)": sifter_crun, "sifter oci run (runc)": sifter_runc,
                 "podman run --rm": podman_once}
        pairs = [("sifter oci run (crun)", "podman run --rm"), ("sifter oci run (runc)", "podman run --rm")]
        out.append((B.Scenario("run-podman", cands, pairs,
                               note="each podman run is followed by an untimed 0.3 s pause, "
                                    "so the kernel's asynchronous network-namespace teardown "
                                    "does not slow the next candidate"),
                    {("run-podman", a, p): ratio_le(0.2) for a, p in pairs}))
    return out


def podman_run(image):
    return ["podman", "run", "--rm", "--network", "none", image, "/bin/true"]


def podman_setup(env):
    """Imports the busybox rootfs into podman. Returns the image name, or None (with a note)
    when podman is missing or cannot run a container here."""
    if not shutil.which("podman"):
        env.notes.append("run: podman is not installed; no podman candidate")
        return None
    conf = env.work / "containers.conf"
    # Explicit limits: rootful podman raises RLIMIT_NOFILE and RLIMIT_NPROC to 1048576 by
    # default, which fails without CAP_SYS_RESOURCE (containers, CI sandboxes); sifter's
    # generated config sets NOFILE 1024 too.
    conf.write_text('[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    os.environ["CONTAINERS_CONF"] = str(conf)
    image = "localhost/sifter-bench-busybox:latest"
    tar = subprocess.Popen(["tar", "-C", env.bundle / "rootfs", "-c", "."], stdout=subprocess.PIPE)
    res = subprocess.run(["podman", "import", "-", image], stdin=tar.stdout, capture_output=True, text=True)
    tar.wait()
    if res.returncode != 0:
        env.notes.append(f"run: podman import failed, no podman candidate: {res.stderr.strip()}")
        return None
    probe = subprocess.run(podman_run(image), capture_output=True, text=True)
    if probe.returncode != 0:
        env.notes.append(f"run: podman cannot run a container here, no podman candidate: "
                         f"{probe.stderr.strip()}")
        return None
    return image


def wait_file(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {path}")
        time.sleep(0.0005)


def conmon_by_hand(env, bundle, runtime):
    """create; start; wait; delete driven by hand through conmon and the runtime, with the sync
    and start pipes as sifter uses them (oci-reference.md §5.6-§5.7)."""
    cid = B.new_id("h")
    d = env.state / "hand" / cid
    d.mkdir(parents=True)
    priv = d / "bundle"
    priv.mkdir()
    shutil.copy(bundle / "config.json", priv / "config.json")
    t0 = time.perf_counter_ns()
    sync_p, sync_c = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    start_p, start_c = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fds = (sync_c.fileno(), start_c.fileno())

    def child():
        # move both ends above 4 first, so dup2 onto 3 and 4 can never clobber one of them
        a, b = fcntl.fcntl(fds[0], fcntl.F_DUPFD, 10), fcntl.fcntl(fds[1], fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)
        os.setpgid(0, 0)

    args = [B.CONMON, "--api-version", "--cid", cid, "--name", cid, "--cuuid", str(uuid.uuid4()),
            "--runtime", runtime, "--bundle", priv, "--container-pidfile", d / "container.pid",
            "--conmon-pidfile", d / "conmon.pid", "--log-path", f"k8s-file:{d / 'ctr.log'}",
            "--exit-dir", d / "exit", "--full-attach", "--stdin",
            "--runtime-arg", "--root", "--runtime-arg", env.rt_root]
    (d / "exit").mkdir()
    p = subprocess.Popen([str(a) for a in args], preexec_fn=child, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={"PATH": SEARCH, "_OCI_SYNCPIPE": "3", "_OCI_STARTPIPE": "4"}, close_fds=False)
    sync_c.close()
    start_c.close()
    start_p.send(b"\0")
    reply = json.loads(sync_p.recv(4096).decode())
    p.wait()
    if reply.get("data", -1) <= 0:
        raise RuntimeError(f"conmon create failed: {reply}")
    B.sh(runtime, "--root", env.rt_root, "start", cid)
    wait_file(d / "exit" / cid)
    B.sh(runtime, "--root", env.rt_root, "delete", cid)
    dt = (time.perf_counter_ns() - t0) / 1e6
    sync_p.close()
    start_p.close()
    shutil.rmtree(d, ignore_errors=True)
    return dt


def sifter_lifecycle(env, bundle, runtime, config=None):
    cid = B.new_id("l")
    t0 = time.perf_counter_ns()
    B.sh(*env.sifter("oci", "create", "-b", bundle, cid, runtime=runtime, config=config))
    B.sh(*env.sifter("oci", "start", cid, runtime=runtime, config=config))
    wait_file(env.root / "containers" / cid / "exit" / cid)
    B.sh(*env.sifter("oci", "delete", cid, runtime=runtime, config=config))
    return (time.perf_counter_ns() - t0) / 1e6


def scenario_lifecycle(env):
    """`oci create; start; wait; delete` vs the same sequence through conmon by hand, back to
    back and spaced (see SETTLE)."""
    b = env.true_bundle
    env.rt_root.mkdir(exist_ok=True)
    out = []
    for rt, path in (("runc", B.RUNC), ("crun", B.CRUN)):
        cands = {f"sifter lifecycle ({rt})": lambda rt=rt: sifter_lifecycle(env, b, rt),
                 f"conmon + {rt} by hand": lambda path=path: conmon_by_hand(env, b, path)}
        pair = (f"sifter lifecycle ({rt})", f"conmon + {rt} by hand")
        for name, settle, note in regimes(f"lifecycle-{rt}"):
            out.append((B.Scenario(name, cands, [pair], note=note, settle=settle, repeat=REPEAT),
                        {(name,) + pair: ratio_le(1.10)}))
    return out


def small_files(root, files, layout):
    """`files` small text files under `root`. "tree": directory sizes like a distribution's
    /usr (here, Debian 12's /usr/share and /usr/lib: median 3 entries, 90th percentile 11,
    99th 75), drawn from a seeded log-normal, plus a `usr/bin` holding one file in 20 (1000 in
    a full run); "flat": 500 per directory, the kernel's worst case (squashfs scans a directory
    linearly on each lookup)."""
    import math
    import random
    if layout == "flat":
        for i in range(files):
            sub = root / "small" / f"d{i // 500:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"f{i:05d}.txt").write_text(f"file {i}\n" * (1 + i % 7))
        return
    rng = random.Random(7)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    n_bin = files // 20    # 1000 of the 20 000 of a full run
    for i in range(n_bin):
        (bin_dir / f"tool{i:04d}").write_text(f"#!/bin/sh\necho {i}\n")
    k, d = n_bin, 0
    while k < files:
        n = max(1, min(files - k, int(rng.lognormvariate(math.log(4), 1.3))))
        sub = root / "usr" / "share" / f"pkg{d // 50:03d}" / f"p{d:05d}"
        sub.mkdir(parents=True, exist_ok=True)
        for _ in range(n):
            (sub / f"f{k:05d}.txt").write_text(f"file {k}\n" * (1 + k % 7))
            k += 1
        d += 1


def build_big_sif(env, size_mb, files, layout="tree"):
    """A SIF of `size_mb` MiB of incompressible data plus `files` small files laid out as
    `layout` (see small_files), built once and kept in the cache directory next to the work
    directory (it takes minutes to make)."""
    sif = env.cache / f"big-{size_mb}-{files}-{layout}.sif"
    if sif.exists():
        return sif
    tree = env.work / f"big-{size_mb}-{layout}"
    make_busybox_tree(tree)
    data = tree / "data"
    data.mkdir()
    with open(data / "random.bin", "wb") as f:
        left = size_mb << 20
        while left > 0:
            n = min(left, 8 << 20)
            f.write(os.urandom(n))
            left -= n
    small_files(tree, files, layout)
    tmp = sif.with_suffix(".tmp")
    B.sh(B.SIFTER, "build", tmp, tree)
    shutil.rmtree(tree)
    tmp.rename(sif)
    return sif


def mount_cycle(env, sif, fuse):
    b = env.work / f"m-{uuid.uuid4().hex[:8]}"
    args = ["oci", "mount"] + (["--fuse"] if fuse else []) + [sif, b]
    t = B.timed(*env.sifter(*args))
    t += B.timed(*env.sifter("oci", "umount", b))
    return t


def scenario_mount(env):
    """`oci mount` + `oci umount` of a 1 MB and a 1 GB SIF, kernel loop path vs --fuse."""
    big_mb = 100 if env.quick else 1024
    files = 2000 if env.quick else 20000
    small = env.sif
    env.big_sif = build_big_sif(env, big_mb, files)
    size_small = small.stat().st_size / 2**20
    size_big = env.big_sif.stat().st_size / 2**20
    lab_s, lab_b = f"{size_small:.1f} MiB", f"{size_big:.0f} MiB"
    cands = {
        f"mount+umount {lab_s} (loop)": lambda: mount_cycle(env, small, False),
        f"mount+umount {lab_b} (loop)": lambda: mount_cycle(env, env.big_sif, False),
        f"mount+umount {lab_s} (fuse)": lambda: mount_cycle(env, small, True),
        f"mount+umount {lab_b} (fuse)": lambda: mount_cycle(env, env.big_sif, True),
    }
    a_s, a_b = f"mount+umount {lab_s} (loop)", f"mount+umount {lab_b} (loop)"
    pairs = [(a_s, None), (a_b, a_s)]
    targets = {("mount", a_s, None): ("<= 15 ms", lambda v: v <= 15.0), ("mount", a_b, a_s): ratio_le(1.2)}
    return [(B.Scenario("mount", cands, pairs, repeat=REPEAT), targets)]


def cold_walk(env, sif, fuse):
    """Mounts `sif`, times one walk of the fresh mount (nothing of it cached yet except the
    SIF file's own pages), unmounts."""
    b = env.work / f"cold-{uuid.uuid4().hex[:8]}"
    B.sh(*env.sifter(*(["oci", "mount"] + (["--fuse"] if fuse else []) + [sif, b])))
    try:
        return B.timed("tar", "cf", "/dev/null", "-C", b / "rootfs", ".")
    finally:
        B.sh(*env.sifter("oci", "umount", b))


def scenario_read(env):
    """A full tree walk (`tar cf /dev/null`, which GNU tar does without reading file data) of
    the large image: kernel squashfs vs squashfuse on a fresh mount each time (cold: the
    target), the same on an image whose small files sit in 500-entry directories (the
    kernel's worst case, shown for honesty), and repeated on mounts that stay (warm: the
    kernel caches dentries and attributes for both and the mount path no longer matters,
    so no target)."""
    big_mb, files = (100, 2000) if env.quick else (1024, 20000)
    sif = getattr(env, "big_sif", None) or build_big_sif(env, big_mb, files)
    flat = build_big_sif(env, 1, files, layout="flat")
    cold = {"cold tree walk (kernel)": lambda: cold_walk(env, sif, False),
            "cold tree walk (squashfuse)": lambda: cold_walk(env, sif, True)}
    cold_flat = {"cold walk, 500-file dirs (kernel)": lambda: cold_walk(env, flat, False),
                 "cold walk, 500-file dirs (squashfuse)": lambda: cold_walk(env, flat, True)}
    kb, fb = env.work / "read-kernel", env.work / "read-fuse"
    B.sh(*env.sifter("oci", "mount", sif, kb))
    env.mounted.append(kb)
    B.sh(*env.sifter("oci", "mount", "--fuse", sif, fb))
    env.mounted.append(fb)
    warm = {"warm tree walk (kernel)": lambda: B.timed("tar", "cf", "/dev/null", "-C", kb / "rootfs", "."),
            "warm tree walk (squashfuse)": lambda: B.timed("tar", "cf", "/dev/null", "-C", fb / "rootfs", ".")}
    notes = {"read-cold": f"one `tar cf /dev/null` walk right after `oci mount` (only the SIF "
                          f"file's own pages are cached) of {files} small files in directories "
                          f"sized like Debian's /usr (median 4 entries, one of 1000) next to "
                          f"{big_mb} MiB of random data; GNU tar reads no file data into /dev/null",
             "read-cold-flat": f"the same {files} files in directories of 500: squashfs (kernel "
                               f"and squashfuse alike) scans a directory linearly on every lookup, "
                               f"so each walk costs O(n²) per directory; no target",
             "read-warm": "walks repeated on mounts that stay; the kernel caches dentries and "
                          "attributes for FUSE too, but every readdir still goes to squashfuse; "
                          "no target"}
    out = []
    for name, cands, target in (("read-cold", cold, True), ("read-cold-flat", cold_flat, False),
                                ("read-warm", warm, False)):
        pair = tuple(cands)
        out.append((B.Scenario(name, cands, [pair], note=notes[name]),
                    {(name,) + pair: ratio_le(0.2)} if target else {}))
    return out


def hooks_config(env):
    """Site configs: the shipped Lua scripts, and one dylib plugin (copied into root-owned
    0755 directories, as the trust checks require)."""
    lua_dir = env.work / "hooks.d"
    lua_dir.mkdir(exist_ok=True)
    os.chmod(lua_dir, 0o755)
    for s in sorted((B.REPO / "scripts" / "hooks").glob("*.lua")):
        shutil.copy(s, lua_dir / s.name)
        os.chmod(lua_dir / s.name, 0o644)
    lua_cfg = env.work / "lua.toml"
    lua_cfg.write_text(f'[hooks]\nlua_dirs = ["{lua_dir}"]\nplugin_dirs = []\n')
    so = B.REPO / "target" / "release" / "libsifter_plugin_example_dylib.so"
    dylib_cfg = None
    if so.exists():
        pdir = env.work / "plugins"
        pdir.mkdir(exist_ok=True)
        os.chmod(pdir, 0o755)
        shutil.copy(so, pdir / so.name)
        os.chmod(pdir / so.name, 0o755)
        dylib_cfg = env.work / "dylib.toml"
        dylib_cfg.write_text(f'[hooks]\nlua_dirs = []\nplugin_dirs = ["{pdir}"]\n')
    for c in (lua_cfg, dylib_cfg):
        if c:
            os.chmod(c, 0o644)
    return lua_cfg, dylib_cfg


def create_delete(env, bundle, config, lua_calls=None):
    cid = B.new_id("k")
    t = B.timed(*env.sifter("oci", "create", "-b", bundle, cid, config=config))
    if lua_calls is not None:
        rec = json.loads((env.root / "containers" / cid / "state.json").read_text())
        for call in rec.get("hookCalls", []):
            if call.get("kind") == "lua":
                lua_calls.append(call["durationUs"] / 1000.0)
    B.sh(*env.sifter("oci", "delete", "--force", cid, config=config))
    return t


def scenario_hooks(env):
    """`oci create` with no hooks, with the shipped Lua scripts, with one dylib plugin; back to
    back and spaced (see SETTLE)."""
    lua_cfg, dylib_cfg = hooks_config(env)
    b = env.derived_bundle("sleep", ["/bin/sleep", "1000"])
    return [hooks_scenario(env, name, b, lua_cfg, dylib_cfg, settle, note)
            for name, settle, note in regimes("hooks")]


def hooks_scenario(env, name, b, lua_cfg, dylib_cfg, settle, note):
    lua_calls = []
    cands = {"create (no hooks)": lambda: create_delete(env, b, None),
             "create (shipped Lua hooks)": lambda: create_delete(env, b, lua_cfg, lua_calls)}
    if dylib_cfg:
        cands["create (example dylib)"] = lambda: create_delete(env, b, dylib_cfg)
    lua, base, call = "create (shipped Lua hooks)", "create (no hooks)", "one Lua hook call (hookCalls)"
    pairs = [(lua, base, "diff"), (call, None)]
    targets = {(name, lua, base): ("<= +5 ms", lambda v: v <= 5.0),
               (name, call, None): ("<= 1 ms", lambda v: v <= 1.0)}
    if dylib_cfg:
        pairs.append(("create (example dylib)", base, "diff"))
    s = B.Scenario(name, cands, pairs, settle=settle, repeat=REPEAT)

    def done():
        # each mutate_config call of a Lua hook, as timed by sifter itself (state.json hookCalls)
        s.samples[call] = list(lua_calls)
        n = len(list((env.work / "hooks.d").glob("*.lua")))
        s.note = (f"{n} shipped Lua scripts; Lua call durations come from the records' hookCalls"
                  + (f"; {note}" if note else ""))

    s.cleanup = done
    return (s, targets)


def pss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def scenario_scale(env):
    """100 containers alive at once: memory of sifter-related processes per container; and
    `oci list` latency with many recorded containers."""
    n_alive = 20 if env.quick else 100
    n_recorded = 100 if env.quick else 1000
    ids = []
    for i in range(n_alive):
        b = env.derived_bundle(f"scale-{i}", ["/bin/sleep", "1000"])
        cid = f"scale-{i}"
        B.sh(*env.sifter("oci", "create", "-b", b, cid))
        B.sh(*env.sifter("oci", "start", cid))
        ids.append(cid)
    root = str(env.root)
    total = 0
    procs = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        exe = os.path.basename(cmd[0].decode(errors="replace")) if cmd and cmd[0] else ""
        if exe in ("conmon", "sifter") and any(root.encode() in c for c in cmd):
            total += pss_kib(pid)
            procs += 1
    per = total / n_alive
    mem = B.Scenario("scale-memory", {}, [], unit="KiB")
    mem.samples = {f"PSS of conmon/sifter per live container ({procs} processes for {n_alive})": [per]}
    for cid in ids:
        B.sh(*env.sifter("oci", "delete", "--force", cid))
    # recorded (stopped) containers for `oci list`
    b = env.true_bundle
    for i in range(n_recorded):
        bi = env.derived_bundle(f"rec-{i}", ["/bin/true"])
        cid = f"rec-{i}"
        B.sh(*env.sifter("oci", "create", "-b", bi, cid))
        B.sh(*env.sifter("oci", "start", cid))
    del b
    def first_list():
        # Untimed: forget every kept stopped state, so each container costs a runtime `state`.
        for kept in (env.root / "containers").glob("*/stopped-state.json"):
            kept.unlink()
        return B.timed(*env.sifter("oci", "list"))

    lst = B.Scenario(f"list-{n_recorded}", {
        f"oci list ({n_recorded} containers, first after they stopped)": first_list,
        f"oci list ({n_recorded} containers)": lambda: B.timed(*env.sifter("oci", "list"))}, [],
        note=f"{n_recorded} stopped runc containers. The first `list` after they stopped asks "
             "the runtime for each (one `runc state` process each, several at a time) and keeps "
             "each final stopped state next to its record; later calls read those")

    def cleanup():
        for i in range(n_recorded):
            subprocess.run(env.sifter("oci", "delete", "--force", f"rec-{i}"), capture_output=True)
    lst.cleanup = cleanup
    return [(mem, {}), (lst, {})]


from bench_import import scenario_import  # noqa: E402  (issue 6: OCI image conversion)

SCENARIOS = [scenario_run, scenario_lifecycle, scenario_hooks, scenario_mount, scenario_read,
             scenario_scale, scenario_import]

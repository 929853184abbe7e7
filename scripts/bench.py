#!/usr/bin/env python3
"""sifter benchmarks: each scenario runs its candidates alternately (A B A B ...) in one run,
after a warm-up, and reports medians, min/max and the ratio sifter/peer.

Run through scripts/bench.sh (root; it installs what is missing and builds sifter --release).
Writes a Markdown table to stdout and bench/report.md, an SVG plot (bench/latency.svg) and,
with --json FILE, the raw numbers. Only the standard library is used, so the harness runs on a
fresh Debian 12 machine.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIFTER = REPO / "target" / "release" / "sifter"
RUNC = shutil.which("runc", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
CRUN = shutil.which("crun", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
CONMON = shutil.which("conmon", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")


def sh(*args, check=True, **kw):
    """Runs a command, raising with its stderr on failure."""
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({res.returncode}): {res.stderr.strip()}")
    return res


def timed(*args, check=True, stdin=None):
    """Runs a command and returns its wall time in milliseconds."""
    t0 = time.perf_counter_ns()
    res = subprocess.run([str(a) for a in args], stdin=stdin or subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = (time.perf_counter_ns() - t0) / 1e6
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({res.returncode}): "
                           f"{res.stderr.decode(errors='replace').strip()}")
    return dt


def new_id(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Scenario:
    """A named set of candidates measured alternately. `candidates` maps a name to a
    zero-argument function that performs one iteration and returns milliseconds."""

    def __init__(self, name, candidates, baseline_pairs, unit="ms", note="", settle=0.0, repeat=1):
        self.name = name
        self.candidates = candidates
        self.baseline_pairs = baseline_pairs  # [(sifter_candidate, peer_candidate)]
        self.unit = unit
        self.note = note
        self.settle = settle  # untimed idle seconds before every call
        self.repeat = repeat  # measured runs = repeat x --runs (short, noisy scenarios)
        self.samples = {k: [] for k in candidates}

    def run(self, runs, warmup):
        for i in range(warmup + runs):
            for name, fn in self.candidates.items():
                if self.settle:
                    time.sleep(self.settle)
                value = fn()
                if i >= warmup:
                    self.samples[name].append(value)

    def rows(self):
        out = []
        for name, xs in self.samples.items():
            if not xs:
                continue
            out.append({"scenario": self.name, "candidate": name, "median": statistics.median(xs),
                        "min": min(xs), "max": max(xs), "runs": len(xs), "unit": self.unit})
        return out

    def ratios(self):
        """One entry per baseline pair `(a, b)` or `(a, b, kind)`: kind "ratio" (the default)
        is median(a) / median(b); "diff" is median(a) - median(b) in the unit; with b None,
        the value is median(a) itself."""
        out = []
        for pair in self.baseline_pairs:
            a, b = pair[0], pair[1]
            kind = pair[2] if len(pair) > 2 else ("abs" if b is None else "ratio")
            if not self.samples.get(a) or (b is not None and not self.samples.get(b)):
                continue
            ma = statistics.median(self.samples[a])
            mb = statistics.median(self.samples[b]) if b is not None else None
            if kind == "abs":
                value = ma
            elif kind == "diff":
                value = ma - mb
            else:
                value = ma / mb if mb else float("nan")
            out.append({"scenario": self.name, "sifter": a, "peer": b, "kind": kind,
                        "ratio": value, "unit": self.unit})
        return out


def markdown(scenarios, targets):
    lines = ["| scenario | candidate | median | min | max | runs |", "|---|---|---:|---:|---:|---:|"]
    for s in scenarios:
        for r in s.rows():
            lines.append(f"| {r['scenario']} | {r['candidate']} | {r['median']:.2f} {r['unit']} | "
                         f"{r['min']:.2f} | {r['max']:.2f} | {r['runs']} |")
    lines += ["", "| scenario | goal measured | value | target | met |", "|---|---|---:|---|---|"]
    for s in scenarios:
        for q in s.ratios():
            if q["kind"] == "abs":
                key, val = f"median of {q['sifter']}", f"{q['ratio']:.2f} {q['unit']}"
            elif q["kind"] == "diff":
                key, val = f"{q['sifter']} − {q['peer']}", f"{q['ratio']:+.2f} {q['unit']}"
            else:
                key, val = f"{q['sifter']} / {q['peer']}", f"{q['ratio']:.3f}"
            target = targets.get((s.name, q["sifter"], q["peer"]))
            met = "" if target is None else ("yes" if target[1](q["ratio"]) else "**no**")
            lines.append(f"| {s.name} | {key} | {val} | {target[0] if target else ''} | {met} |")
    return "\n".join(lines) + "\n"


def svg_plot(scenarios, path):
    """A horizontal bar chart of medians (log scale), with min-max whiskers, one group per
    scenario. Plain SVG, no dependencies."""
    import math
    rows = [r for s in scenarios for r in s.rows() if r["unit"] == "ms"]
    if not rows:
        return
    left, right, bar_h, gap, top = 330, 60, 16, 6, 40
    width = 1000
    height = top + len(rows) * (bar_h + gap) + 60
    lo = min(max(r["min"], 0.01) for r in rows)
    hi = max(r["max"] for r in rows)
    lmin, lmax = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    span = max(lmax - lmin, 1)

    def x(v):
        return left + (math.log10(max(v, 10 ** lmin)) - lmin) / span * (width - left - right)

    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">'
           f'sifter benchmarks: median latency (log scale, whiskers min-max)</text>']
    for e in range(lmin, lmax + 1):
        xv = x(10 ** e)
        out.append(f'<line x1="{xv:.1f}" y1="{top - 5}" x2="{xv:.1f}" y2="{height - 45}" stroke="#ddd"/>')
        out.append(f'<text x="{xv:.1f}" y="{height - 30}" text-anchor="middle">{10 ** e:g} ms</text>')
    y = top
    scen_idx = {}
    for r in rows:
        c = palette[scen_idx.setdefault(r["scenario"], len(scen_idx)) % len(palette)]
        out.append(f'<text x="{left - 8}" y="{y + bar_h - 4}" text-anchor="end">'
                   f'{r["scenario"]}: {r["candidate"]}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x(r["median"]) - left:.1f}" height="{bar_h}" fill="{c}"/>')
        out.append(f'<line x1="{x(r["min"]):.1f}" y1="{y + bar_h / 2}" x2="{x(r["max"]):.1f}" '
                   f'y2="{y + bar_h / 2}" stroke="black"/>')
        out.append(f'<text x="{x(r["median"]) + 4:.1f}" y="{y + bar_h - 4}" font-size="10">'
                   f'{r["median"]:.1f}</text>')
        y += bar_h + gap
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (few runs, small images)")
    ap.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    ap.add_argument("--runs", type=int, default=None, help="measured runs per candidate (default 20)")
    ap.add_argument("--only", default=None, help="comma-separated scenario names")
    ap.add_argument("--workdir", default="/var/tmp/sifter-bench", help="scratch directory")
    args = ap.parse_args()
    runs = args.runs or (5 if args.quick else 20)
    warmup = 1 if args.quick else 3

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_scenarios as bs  # noqa: E402

    work = Path(args.workdir)
    env = bs.Env(work, quick=args.quick)
    scenarios, targets, notes = [], {}, []
    wanted = set(args.only.split(",")) if args.only else None
    try:
        env.setup()
        for make in bs.SCENARIOS:
            if wanted and make.__name__.removeprefix("scenario_") not in wanted:
                continue
            try:
                made = make(env)
            except bs.Skip as e:
                notes.append(f"- {make.__name__.removeprefix('scenario_')}: skipped ({e})")
                print(f"== {make.__name__}: skipped ({e})", file=sys.stderr)
                continue
            for scenario, scen_targets in made:
                print(f"== {scenario.name}: {', '.join(scenario.candidates)} "
                      f"({runs * scenario.repeat} runs alternately after {warmup} warm-up)", file=sys.stderr)
                try:
                    scenario.run(runs * scenario.repeat if scenario.unit == "ms" else 1,
                                 warmup if scenario.unit == "ms" else 0)
                except Exception as e:  # one scenario failing must not lose the others
                    notes.append(f"- {scenario.name}: failed: {e}")
                    print(f"   failed: {e}", file=sys.stderr)
                    continue
                finally:
                    if hasattr(scenario, "cleanup"):
                        scenario.cleanup()
                if scenario.note:
                    notes.append(f"- {scenario.name}: {scenario.note}")
                scenarios.append(scenario)
                targets.update(scen_targets)
    finally:
        env.teardown()
        notes += [f"- {n}" for n in env.notes]

    table = markdown(scenarios, targets)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    machine = (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), "
               f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
               f"kernel {platform.release()}; runc {bs.version(RUNC)}, crun {bs.version(CRUN)}, "
               f"conmon {bs.version(CONMON)}")
    report = (f"# sifter benchmark report\n\nGenerated by `scripts/bench.sh{' --quick' if args.quick else ''}` "
              f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\nMachine: {machine}.\n\n"
              f"Each scenario ran its candidates alternately, {runs} measured runs each after "
              f"{warmup} warm-up round(s); the short ones ran {runs * bs.REPEAT} (the runs "
              f"column has each count). Times are wall-clock milliseconds. The state roots "
              f"(`--root` of sifter and of the bare runtimes) are on a tmpfs, as /run is on a "
              f"normal host; bundles and images are on the disk.\n\n{table}\n"
              + ("Notes:\n" + "\n".join(notes) + "\n" if notes else "")
              + "\n![latency by scenario](latency.svg)\n")
    print(table)
    (REPO / "bench").mkdir(exist_ok=True)
    (REPO / "bench" / "report.md").write_text(report)
    svg_plot(scenarios, REPO / "bench" / "latency.svg")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine, "runs": runs, "warmup": warmup,
            "samples": {s.name: s.samples for s in scenarios},
            "rows": [r for s in scenarios for r in s.rows()],
            "ratios": [q for s in scenarios for q in s.ratios()],
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()

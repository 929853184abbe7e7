"""The `import` scenario of scripts/bench.py: converting a ~200 MB multi-layer OCI image to a
SIF with `sifter build OUT.sif oci:LAYOUT:img`, against the shell pipeline `umoci unpack` +
`mksquashfs` on the same image, alternately in the same run (issue 6).

The image is made once with umoci from the host's busybox-static: a base layer, then four
layers of ~50 MB each (half incompressible data, half many small text files), one of which
also deletes files of an earlier layer. Both candidates start from the same OCI layout and end
with a squashfs image of the same tree; each run starts from a clean output.
"""

import os
import shutil

import bench as B

RUNS_CAP = 5  # one conversion takes seconds: 5 alternating runs each are enough for a median


class ImportScenario(B.Scenario):
    def run(self, runs, warmup):
        super().run(min(runs, RUNS_CAP), min(warmup, 1))


def make_image(work, quick):
    """A ~200 MB (quick: ~40 MB) image at work/layout:img, built once and reused."""
    done = work / "layout"
    if (done / "index.json").exists():
        return done
    layout = work / "layout.partial"  # renamed when complete, so a killed run is not reused
    shutil.rmtree(layout, ignore_errors=True)
    shutil.rmtree(work / "bundle", ignore_errors=True)
    per_layer = (10 if quick else 50) << 20
    B.sh("umoci", "init", "--layout", layout)
    B.sh("umoci", "new", "--image", f"{layout}:img")
    bundle = work / "bundle"
    for i in range(5):
        B.sh("umoci", "unpack", "--image", f"{layout}:img", bundle)
        root = bundle / "rootfs"
        if i == 0:
            (root / "bin").mkdir(parents=True, exist_ok=True)
            shutil.copy2(shutil.which("busybox") or "/bin/busybox", root / "bin" / "busybox")
            for a in ("sh", "ls", "cat", "echo"):
                (root / "bin" / a).symlink_to("busybox")
        else:
            layer = root / f"layer{i}"
            layer.mkdir()
            with open(layer / "blob.bin", "wb") as f:
                f.write(os.urandom(per_layer // 2))
            text = "".join(f"line {n} of a small text file in layer {i}\n" for n in range(300))
            for n in range(per_layer // 2 // len(text)):
                sub = layer / "small" / f"d{n // 200:03d}"
                sub.mkdir(parents=True, exist_ok=True)
                (sub / f"f{n:05d}.txt").write_text(text)
            if i == 3:
                shutil.rmtree(root / "layer1" / "small" / "d000")
        B.sh("umoci", "repack", "--image", f"{layout}:img", bundle)
        shutil.rmtree(bundle)
    layout.rename(done)
    return done


def scenario_import(env):
    """`sifter build` from an OCI layout vs `umoci unpack` + `mksquashfs`."""
    for tool in ("umoci", "mksquashfs"):
        if not shutil.which(tool):
            raise B_skip(f"{tool} is not installed")
    work = env.cache / ("import-quick" if env.quick else "import")
    work.mkdir(exist_ok=True)
    layout = make_image(work, env.quick)
    size = sum(f.stat().st_size for f in (layout / "blobs" / "sha256").iterdir()) / 2**20
    sif = work / "out.sif"
    sqfs = work / "out.sqfs"
    bundle = work / "unpacked"

    def sifter_build():
        sif.unlink(missing_ok=True)
        return B.timed(B.SIFTER, "--quiet", "build", sif, f"oci:{layout}:img")

    def umoci_mksquashfs():
        shutil.rmtree(bundle, ignore_errors=True)
        sqfs.unlink(missing_ok=True)
        return B.timed("bash", "-c", 'umoci unpack --image "$1:img" "$2" >/dev/null && '
                       'mksquashfs "$2/rootfs" "$3" -noappend -no-progress -quiet >/dev/null',
                       "bash", layout, bundle, sqfs)

    a = f"sifter build ({size:.0f} MB compressed, 5 layers)"
    b = "umoci unpack + mksquashfs"
    scen = ImportScenario("import", {a: sifter_build, b: umoci_mksquashfs}, [(a, b)],
                          note=f"OCI layout of {size:.0f} MB compressed; same machine, same run")

    def cleanup():
        shutil.rmtree(bundle, ignore_errors=True)
        sif.unlink(missing_ok=True)
        sqfs.unlink(missing_ok=True)
    scen.cleanup = cleanup
    return [(scen, {("import", a, b): ("<= 1.10", lambda v: v <= 1.10)})]


def B_skip(msg):
    import bench_scenarios
    return bench_scenarios.Skip(msg)

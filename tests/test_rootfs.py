"""The local backend in the sandbox image's files (``effbench sandbox export``, ``--rootfs``).

Needs the image (a Docker engine) once, to export it; in CI that is a failure if missing, as for
every docker test.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from effbench.cli import main
from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import TestRequest

from .conftest import MINI

PROBE = """
import os
def f(n):
    listing = os.listdir("/")
    return [os.getuid(), os.uname().nodename, os.path.exists("/opt/effbench/runner.py"),
            os.path.exists("/root/.cache"), os.path.exists("/work"), sorted(listing)]
"""


def test_export_is_reused_and_marked_with_its_image(image_rootfs, docker_image):
    """An export holds the tree, the empty overlay layer and a marker naming the image; asking
    again for the same image unpacks nothing."""
    from effbench.sandboxes.rootfs import describe, export_rootfs, python_in

    assert describe(image_rootfs)["image"] == docker_image
    assert python_in(image_rootfs).is_file()
    assert os.listdir(os.path.join(image_rootfs, "empty")) == []
    logs: list[str] = []
    assert str(export_rootfs(docker_image, log=logs.append)) == image_rootfs
    assert logs == [f"{image_rootfs} holds {docker_image}: nothing to export"]


def test_export_refuses_a_folder_that_is_not_an_export(tmp_path, docker_image):
    """A non-empty folder without the marker is never overwritten."""
    from effbench.errors import SandboxUnavailable
    from effbench.sandboxes.rootfs import export_rootfs

    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SandboxUnavailable, match="is not an export"):
        export_rootfs(docker_image, tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_local_backend_in_the_image_sees_only_the_image(image_rootfs):
    """Invariant: with a root filesystem a candidate sees the image's files only (no host folder,
    no harness cache), under the sandbox host name, as user 65533 (not the runner's) when started
    by root."""
    from effbench.sandboxes.local import LocalSandbox

    with LocalSandbox(TimeMeter(repeats=1), rootfs=image_rootfs) as box:
        run = box.run(TestRequest(PROBE, "f", [0]))
        assert box.facts["isolation"] == "namespaces+rootfs" and box.facts["rootfs"] == image_rootfs
    uid, hostname, has_runner, has_cache, has_work, listing = json.loads(run.result)["value"]
    assert uid == (65533 if os.geteuid() == 0 else 0)
    assert hostname == "sandbox"
    assert has_runner  # the image's own copy of the runner: it is the image's tree
    assert not has_cache and not has_work
    assert {"usr", "tmp", "proc", "dev"} <= set(listing)


def test_a_folder_that_is_not_an_export_is_refused_clearly(tmp_path):
    """`--rootfs` on a random folder: one line naming the fix, exit code 2, and no run directory
    (which would then refuse the corrected command as a different run)."""
    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--rootfs", str(tmp_path)]
        + ["--meter", "time", "--run-dir", str(tmp_path / "run")],
    )
    assert result.exit_code == 2, result.output
    assert "effbench sandbox export" in result.output
    assert not (tmp_path / "run").exists()


def test_rootfs_is_for_the_local_backend_only(tmp_path):
    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--rootfs", str(tmp_path)]
        + ["--sandbox", "docker", "--run-dir", str(tmp_path / "run")],
    )
    assert result.exit_code == 2 and "--rootfs is for --sandbox local" in result.output


def test_evaluate_with_rootfs_records_the_image_in_the_fingerprint(tmp_path, image_rootfs):
    """`evaluate --rootfs` scores, and its cached profiles are keyed by the image, not this host's
    interpreter (a profile measured on other files must not be reused)."""
    from effbench.sandboxes.rootfs import describe

    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--problems", "triangle"]
        + ["--rootfs", image_rootfs, "--meter", "valgrind", "--workers", "1", "--no-cache"]
        + ["--run-dir", str(tmp_path / "run"), "--json"],
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["rootfs"] == image_rootfs
    assert config["fingerprint"]["userland"] == describe(image_rootfs)["image_id"]
    assert "python" not in config["fingerprint"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["models"]["expert"]["overall"]["pass@k"]["1"] == 1.0


def test_another_checkouts_export_in_use_is_never_removed(tmp_path, monkeypatch):
    """Invariant: exporting one image removes another image's export from the cache only once it
    has gone unused for STALE_AFTER_SECONDS (its marker's time, refreshed by every use), and
    always an interrupted export whose process is gone. Threat: two checkouts of effbench with
    different runners (so different image tags) share the cache; the cache kept one export and
    the second checkout's export removed the first's while its tests ran on it."""
    import time

    from effbench.sandboxes import rootfs

    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path))
    exports = tmp_path / "rootfs"

    def fake_export(name: str) -> os.PathLike:
        folder = exports / name
        (folder / "tree").mkdir(parents=True)
        (folder / rootfs.MARKER).write_text(json.dumps({"image": f"effbench-sandbox:{name}"}) + "\n")
        return folder

    in_use, forgotten = fake_export("a" * 16), fake_export("b" * 16)
    old = time.time() - rootfs.STALE_AFTER_SECONDS - 60
    os.utime(forgotten / rootfs.MARKER, (old, old))
    os.utime(in_use / rootfs.MARKER, (old, old))
    rootfs.mark_used(in_use)  # what export_rootfs and check_rootfs do on every use
    interrupted = exports / ("c" * 16 + ".partial-999999999")  # no such process
    interrupted.mkdir()
    rootfs._remove_stale_exports(rootfs.default_dir("effbench-sandbox:" + "d" * 16))
    assert in_use.is_dir() and not forgotten.exists() and not interrupted.exists()

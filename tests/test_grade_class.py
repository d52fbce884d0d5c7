"""Grading a whole class (kit.grade FOLDER --jobs / --shard, merge, --summary; kit/classgrade.py).

One small folder of the gan lab, graded through the real autograder three times into three results folders:
one at a time, two at a time (--jobs 2), and as two shards merged.  The three CSVs must be the same; a second
run with the same results folder grades nothing.  The folder holds the solution, a notebook whose discriminator
loss raises, another lab's notebook (the wrong lab) and a zip whose notebook otter cannot read (the grading dies).
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time

import pytest

from conftest import ROOT, TESTED_NAMES, make_zip, mutate
from kit.classgrade import parse_shard, shard
from kit.labs import get

LAB = "gan"
OTHER = next((name for name in TESTED_NAMES if name != LAB), None)
NAMES = ["alice", "bob", "carol", "dave"]
BOB_BUG = "bob gave up here"


def kit_grade(*args, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m kit.grade ARGS`` from the repository root."""
    proc = subprocess.run([sys.executable, "-m", "kit.grade", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True)
    if check:
        assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    """The folder, graded sequentially, with --jobs 2 and as shards 1/2 + 2/2 merged; the paths of it all."""
    if LAB not in TESTED_NAMES or OTHER is None:
        pytest.skip(f"needs the {LAB} lab and one other lab in the release (KIT_TEST_LABS)")
    work = tmp_path_factory.mktemp("class")
    folder = work / "submissions"
    folder.mkdir()
    sol = release / "solutions" / LAB
    ckpt = sol / "dcgan_generator.pt"
    make_zip(folder / "alice.zip", [sol / f"{LAB}.ipynb", ckpt])
    broken = mutate(sol / f"{LAB}.ipynb", work / "bob" / f"{LAB}.ipynb",
                    [(get(LAB).module("submissions").D_LOSS, f'raise RuntimeError("{BOB_BUG}")')])
    make_zip(folder / "bob.zip", [broken, ckpt])
    shutil.copy(release / "solutions" / OTHER / f"{OTHER}.ipynb", folder / "carol.ipynb")
    unreadable = work / "dave" / f"{LAB}.ipynb"
    unreadable.parent.mkdir()
    unreadable.write_text("this is not a notebook")
    make_zip(folder / "dave.zip", [unreadable, ckpt])

    common = [folder, "--lab", LAB, "--autograder", release / "autograder" / f"{LAB}-autograder.zip"]
    paths = {"folder": folder, "common": common}
    for name, extra in (("seq", ["--summary", work / "summary"]), ("par", ["--jobs", 2])):
        start = time.time()
        kit_grade(*common, "--out", work / name, "--csv", work / f"{name}.csv", *extra)
        paths[name], paths[f"{name}_seconds"] = work / name, time.time() - start
    shards = [subprocess.Popen([sys.executable, "-m", "kit.grade", *map(str, common), "--shard", f"{i}/2",
                                "--out", work / "shards", "--csv", work / f"shard{i}.csv"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i in (1, 2)]  # the two shards at once, as two machines would run them
    for proc in shards:
        out, err = proc.communicate()
        assert proc.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
    kit_grade("merge", work / "shard1.csv", work / "shard2.csv", "--csv", work / "merged.csv")
    paths.update(work=work, shards=work / "shards", summary=work / "summary")
    return paths


def rows(path) -> dict[str, dict]:
    return {r["name"]: r for r in csv.DictReader(path.open())}


def test_every_submission_has_its_row_with_the_reason(graded):
    got = rows(graded["work"] / "seq.csv")
    assert list(got) == NAMES
    assert float(got["alice"]["total"]) == float(got["alice"]["possible"]) > 0 and not got["alice"]["errors"]
    bob = got["bob"]
    assert float(bob["q1_discriminator_loss"]) == 0 and float(bob["q7_quality"]) == 3, bob
    assert 0 < float(bob["total"]) < float(bob["possible"])
    assert float(got["carol"]["total"]) == 0 and f"from the lab '{OTHER}'" in got["carol"]["errors"], got["carol"]
    assert float(got["dave"]["possible"]) == 0 and "wrote no results" in got["dave"]["errors"], got["dave"]
    assert "\n" not in got["dave"]["errors"] and str(graded["work"]) not in got["dave"]["errors"]


def test_two_at_a_time_gives_the_sequential_csv(graded):
    assert (graded["work"] / "par.csv").read_text() == (graded["work"] / "seq.csv").read_text()


def test_shards_merged_give_the_sequential_csv(graded):
    one, two = rows(graded["work"] / "shard1.csv"), rows(graded["work"] / "shard2.csv")
    assert list(one) == ["alice", "carol"] and list(two) == ["bob", "dave"]
    assert (graded["work"] / "merged.csv").read_text() == (graded["work"] / "seq.csv").read_text()


def test_a_second_run_grades_nothing(graded):
    results = sorted((graded["seq"]).glob("*/results.json"))
    assert len(results) == 3  # dave's grading wrote none: its error is kept in kit-grade.json
    before = {p: p.stat().st_mtime_ns for p in results}
    proc = kit_grade(*graded["common"], "--out", graded["seq"], "--csv", graded["work"] / "again.csv")
    assert "0 graded, 4 kept from an earlier run" in proc.stdout, proc.stdout
    assert {p: p.stat().st_mtime_ns for p in results} == before
    assert (graded["work"] / "again.csv").read_text() == (graded["work"] / "seq.csv").read_text()


def test_force_and_a_changed_submission_grade_again(graded, tmp_path):
    dave = graded["folder"] / "dave.zip"
    autograder = graded["common"][-1]
    proc = kit_grade(dave, "--lab", LAB, "--autograder", autograder, "--out", graded["shards"], "--force")
    assert "1 graded, 0 kept" in proc.stdout, proc.stdout
    changed = tmp_path / "dave.zip"  # the same name, another file: its kept results are not its own
    make_zip(changed, [graded["work"] / "dave" / f"{LAB}.ipynb"])
    proc = kit_grade(changed, "--lab", LAB, "--autograder", autograder, "--out", graded["shards"])
    assert "1 graded, 0 kept" in proc.stdout, proc.stdout


def test_the_summary_has_a_table_and_a_plot_per_lab(graded):
    text = (graded["summary"] / "summary.md").read_text()
    assert f"## {LAB}: 4 submissions" in text and "not graded (no results): 1" in text, text
    q1 = next(line for line in text.splitlines() if line.startswith("| q1_discriminator_loss |"))
    # alice 2, bob 0, carol 0 of 2 points; bob's and carol's failures differ: a tie goes to the first by name
    # the student's error, with the function and line it was raised in
    assert f"| 0.67 | 1 of 3 | RuntimeError: {BOB_BUG} (raised in discriminator_loss, line " in q1, q1
    assert f"from the lab '{OTHER}'" in text  # the most common error: carol's, the first by name
    png = (graded["summary"] / f"{LAB}.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


@pytest.mark.parametrize("bad", ["0/2", "3/2", "2", "1/0", "a/b", "-1/2"])
def test_bad_shard_values_are_refused(bad):
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected i/N with 1 <= i <= N"):
        parse_shard(bad)


def test_a_bad_shard_stops_the_command_with_a_sentence(tmp_path):
    proc = kit_grade(tmp_path, "--shard", "0/4", check=False)
    assert proc.returncode == 2 and "shards count from 1" in proc.stderr, proc.stderr


def test_shards_cover_every_submission_once():
    paths = [f"s{i:02d}" for i in range(11)]
    for n in (1, 2, 3, 11, 12):
        slices = [shard(paths, i, n) for i in range(1, n + 1)]
        assert sorted(p for s in slices for p in s) == paths
        assert max(map(len, slices)) - min(map(len, slices)) <= 1


def test_merge_refuses_a_shard_twice(graded):
    proc = kit_grade("merge", graded["work"] / "shard1.csv", graded["work"] / "shard1.csv",
                     "--csv", graded["work"] / "twice.csv", check=False)
    assert proc.returncode != 0 and "'alice' is in both" in proc.stderr, proc.stderr

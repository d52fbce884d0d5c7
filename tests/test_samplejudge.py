"""The sample judge (assignment/common/autograder/samplejudge.py) without otter run: its two events on a copy of the
GAN lab's real autograder zip, with results shaped as the kernel sends them back (and as a cheating kernel would)."""
from __future__ import annotations

import json
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest

LAB = "gan"


@pytest.fixture()
def judge_env(release, tmp_path):
    """(the plugin after before_grading, the autograder folder): the zip extracted as otter run does."""
    import samplejudge

    ag = tmp_path / "autograder"
    with zipfile.ZipFile(release / "autograder" / f"{LAB}-autograder.zip") as z:
        z.extractall(ag / "source")
        config = json.loads(z.read("otter_config.json"))
    sub = ag / "submission"
    (sub / "kit-samples").mkdir(parents=True)
    (sub / "kit-samples" / "dcgan.npy").write_bytes(b"shipped with the submission")
    (sub / "dcgan_generator.pt").write_bytes((release / "solutions" / LAB / "dcgan_generator.pt").read_bytes())
    entry = next(p["samplejudge.SampleJudge"] for p in config["plugins"] if "samplejudge.SampleJudge" in p)
    plugin = samplejudge.SampleJudge(str(sub / f"{LAB}.ipynb"), {}, entry)
    plugin.before_grading(SimpleNamespace(autograder_dir=str(ag)))
    return plugin, ag


def kernel_results(plugin, passed=True, points=None):
    """GradingResults as a kernel would send them: every test case of every question, all passed (or not), with
    ``points`` per test case if given (a cheat), plus a question the lab does not have."""
    from otter.test_files import GradingResults
    from otter.test_files.abstract_test import TestCase, TestCaseResult
    from otter.test_files.exception_test import ExceptionTestFile

    files = []
    for q, cases in {**plugin.questions, "q99_made_up": {"q99_made_up - 1": 1}}.items():
        tcs = [TestCase(c, None, True, points or p, None, None) for c, p in cases.items()]
        tf = ExceptionTestFile(q, f"tests/{q}.py", tcs, all_or_nothing=False)
        tf.test_case_results = [TestCaseResult(tc, "", passed) for tc in tcs]
        files.append(tf)
    return GradingResults(files)


def test_before_grading_reads_the_zip_and_takes_the_hidden_files_off_the_disk(judge_env):
    plugin, ag = judge_env
    for name in plugin.plugin_config["assets"]:
        assert not (ag / "source" / name).exists() and not (ag / "source" / "files" / name).exists(), name
    assert not (ag / "submission" / "kit-samples").exists()  # what the submission shipped there is gone
    assert plugin.questions["q7_quality"] == {"q7_quality - 1": 2, "q7_quality - 2": 1}
    assert set(plugin.judged.values()) == {"dcgan_inception_score", "dcgan_every_digit"}
    assert plugin.grading.hidden_judge("mnist") is not None  # loaded before the files went


def test_after_grading_judges_the_samples_and_keeps_the_zips_points(judge_env, release):
    from kit.notebook import lab_code

    plugin, ag = judge_env
    ns = lab_code(LAB, release)
    (ag / "submission" / "kit-samples").mkdir()
    np.save(ag / "submission" / "kit-samples" / "dcgan.npy", plugin.specs["dcgan_inception_score"].draw.run(
        ns["generate"]))
    results = kernel_results(plugin, points=100)
    plugin.after_grading(results)
    assert "q99_made_up" not in results.results
    assert results.get_score("q7_quality") == 3 and results.results["q7_quality"].possible == 3
    assert results.total == results.possible == 12
    data = results.get_plugin_data("SampleJudge")
    assert data["figures"]["dcgan"]["inception_score"] >= 3.0
    assert data["leaderboard"] == []  # off unless the instructor switches it on
    plugin.plugin_config["leaderboard"] = True
    plugin.after_grading(results)
    board = {e["name"]: e for e in results.get_plugin_data("SampleJudge")["leaderboard"]}
    assert board["dcgan: judge score"]["order"] == "desc" and board["dcgan: FD / floor"]["order"] == "asc"


def test_noise_claimed_as_passing_loses_the_quality_points(judge_env):
    plugin, ag = judge_env
    (ag / "submission" / "kit-samples").mkdir()
    np.save(ag / "submission" / "kit-samples" / "dcgan.npy",
            np.random.default_rng(0).random((1000, 28, 28), dtype=np.float32))
    results = kernel_results(plugin)
    plugin.after_grading(results)
    assert results.get_score("q7_quality") == 0
    messages = [r.message for r in results.results["q7_quality"].test_case_results]
    assert all("brighter than real images" in m or "far from real images" in m for m in messages), messages


def test_no_samples_fail_the_judged_tests_with_a_reason(judge_env):
    plugin, _ = judge_env
    results = kernel_results(plugin)
    plugin.after_grading(results)
    assert results.get_score("q7_quality") == 0 and results.get_score("q6_generate") == 2
    assert "no samples of generate reached the autograder" in results.results["q7_quality"].test_case_results[0].message


def test_hidden_test_source_is_taken_out_of_the_feedback():
    """otter quotes the failing line of a test; for hidden tests the guard keeps only the exception."""
    import gradeguard

    message = ("❌ Test case failed\nError at line 11 in test q1_discriminator_loss:\n"
               "      loss = discriminator_loss(torch.zeros(4), torch.zeros(3))\nTypeError: 'NoneType' object is not callable")
    clean = gradeguard.without_test_source(message)
    assert "torch.zeros(4)" not in clean and "Error at line" not in clean
    assert clean.endswith("TypeError: 'NoneType' object is not callable") and clean.startswith("❌ Test case failed")


def test_a_pickle_that_runs_code_is_refused():
    """The kernel's results come back through pickle; the guard lets only otter's result classes and plain values
    through (gradeguard.data_only_unpickler)."""
    import io
    import os
    import pickle

    import gradeguard

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    unpickler = gradeguard.data_only_unpickler(allow_results=True)
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        unpickler(io.BytesIO(pickle.dumps(Evil()))).load()
    from otter.test_files import GradingResults
    honest = GradingResults([])
    assert isinstance(unpickler(io.BytesIO(pickle.dumps(honest))).load(), GradingResults)


def test_sample_grid_is_a_png_of_the_graded_samples():
    import struct
    import zlib

    import samplejudge

    samples = np.zeros((10, 5, 28, 28), dtype=np.float32)
    samples[3] = 1.0  # the row of class 3 is white
    png = samplejudge.png_grid(samples)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (5 * 28, 10 * 28)
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width + 1)[:, 1:]
    assert rows[3 * 28:4 * 28].min() == 255 and rows[:3 * 28].max() == 0
    flat = samplejudge.png_grid(np.random.default_rng(0).random((1000, 28, 28)))
    assert struct.unpack(">II", flat[16:24]) == (280, 280)


def test_markdown_report_shows_figures_per_class_table_and_grid():
    import samplejudge

    figures = {"label_accuracy": 0.42, "fd_ratio": 3.2, "per_class": [0.9] * 9 + [0.0],
               "classes": [str(i) for i in range(10)], "spread": 0.1}
    text = samplejudge.markdown_report("cgan", figures, "AAAA")
    assert "| label accuracy (hidden judge) | 42.0% |" in text and "| accuracy | 90% |" in text
    assert text.rstrip().endswith("(data:image/png;base64,AAAA)")
    assert samplejudge.markdown_report("cgan", {"error": "no samples"}, None) == "**cgan**: no samples"

"""The verdict plugin (assignment/common/autograder/verdicts.py) and the data that crosses the kernel's boundary
(genkit.pack / unpack), without otter: the plugin's events on a copy of the GAN lab's real autograder zip, with a
stand-in kernel that runs the test's calls in this process on the solution's code (or on a cheat's)."""
from __future__ import annotations

import json
import os
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest

LAB = "gan"


class LocalKernel:
    """A stand-in for the student's kernel: runs each call here, on the names of ``namespace``, and sends back what
    it returned as the real kernel does (packed, then unpacked)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def call(self, fn, args, helpers=()):
        import genkit
        import gradeguard

        resolved = [self.namespace.get(a.kit_name) if isinstance(a, gradeguard.Remote) else a for a in args]
        return genkit.unpack(genkit.pack(fn(*resolved)))


@pytest.fixture()
def verdicts_env(release, tmp_path):
    """(the plugin after before_grading, the autograder folder): the zip laid out as Gradescope does."""
    import gradeguard
    import verdicts

    from kit.grade import autograder_folder

    sol = release / "solutions" / LAB
    ag = autograder_folder(sol / f"{LAB}.ipynb", release / "autograder" / f"{LAB}-autograder.zip", tmp_path)
    (ag / "submission" / "dcgan_generator.pt").write_bytes((sol / "dcgan_generator.pt").read_bytes())
    config = json.loads((ag / "source" / "otter_config.json").read_text())
    entry = next(p["verdicts.Verdicts"] for p in config["plugins"] if "verdicts.Verdicts" in p)
    for registry in (gradeguard.AFTER_CELLS, gradeguard.AFTER_KERNEL, gradeguard.VERDICT, gradeguard.BOX_MODE):
        registry.clear()
    plugin = verdicts.Verdicts(str(ag / "submission" / f"{LAB}.ipynb"), {}, entry)
    plugin.before_grading(SimpleNamespace(autograder_dir=str(ag)))
    yield plugin, ag
    gradeguard.AFTER_CELLS.clear()
    gradeguard.AFTER_KERNEL.clear()


def run_tests(plugin, ag, namespace: dict):
    """The plugin's tests against a stand-in kernel holding ``namespace``, in the submission's folder; the results."""
    import gradeguard

    cwd = os.getcwd()
    os.chdir(ag / "submission")
    try:
        plugin.run_tests(LocalKernel(namespace))  # the kernel is alive: the judged tests draw their samples
        plugin.finish()  # it is gone: they are judged
    finally:
        os.chdir(cwd)
    return gradeguard.VERDICT[-1]


def test_the_tests_are_read_first_and_the_hidden_files_go_once_the_kernel_is_gone(verdicts_env):
    import gradeguard

    plugin, ag = verdicts_env
    assert {os.path.basename(p) for p in plugin.sources} >= {"q1_discriminator_loss.py", "q7_quality.py"}
    assert plugin.run_tests in gradeguard.AFTER_CELLS and plugin.finish in gradeguard.AFTER_KERNEL
    results = run_tests(plugin, ag, {})
    assert results.total == 0
    for name in plugin.plugin_config["assets"]:
        assert not (ag / "source" / name).exists() and not (ag / "source" / "files" / name).exists(), name
    assert plugin.grading.hidden_judge("mnist") is not None  # loaded before the files went


def test_the_solution_gets_every_point_of_the_zip(verdicts_env, release):
    from kit.notebook import lab_code

    plugin, ag = verdicts_env
    results = run_tests(plugin, ag, lab_code(LAB, release))
    assert results.total == results.possible == 12, {n: (f.score, f.possible) for n, f in results.results.items()}
    plugin.after_grading(results)
    data = results.get_plugin_data("Verdicts")
    assert data["figures"]["dcgan"]["inception_score"] >= 4.5 and data["grids"]["dcgan"]
    assert "q7_quality" in data["reports"] and data["leaderboard"] == []  # off unless the instructor switches it on
    plugin.plugin_config["leaderboard"] = True
    plugin.after_grading(results)
    board = {e["name"]: e for e in results.get_plugin_data("Verdicts")["leaderboard"]}
    assert board["dcgan: judge score"]["order"] == "desc" and board["dcgan: FD / floor"]["order"] == "asc"


def test_points_are_the_zips_and_no_kernel_report_enters(verdicts_env):
    """Nothing implemented: every test fails, each question has the points its test file gives, and there is no
    question the zip does not have."""
    plugin, ag = verdicts_env
    results = run_tests(plugin, ag, {})
    assert results.total == 0 and results.possible == 12
    assert set(results.results) == {"q1_discriminator_loss", "q2_generator_losses", "q3_training_steps", "q5_dcgan",
                                    "q6_generate", "q7_quality"}
    assert results.results["q7_quality"].possible == 3


def test_noise_loses_the_quality_points(verdicts_env, release):
    """generate returns noise beside a trained network: its samples are not the network's."""
    from kit.notebook import lab_code

    plugin, ag = verdicts_env
    ns = lab_code(LAB, release)
    ns["generate"] = lambda n: np.random.default_rng().random((n, 28, 28), dtype=np.float32)
    results = run_tests(plugin, ag, ns)
    assert results.get_score("q7_quality") == 0 and results.get_score("q1_discriminator_loss") == 2
    messages = [r.message for r in results.results["q7_quality"].test_case_results]
    assert all("are not those of your DCGANGenerator" in m for m in messages), messages


def test_a_network_that_ignores_its_parameters_loses_the_quality_points(verdicts_env, release):
    """A generator class whose output ignores its parameters (it serves real digits chosen by the noise): its samples
    pass as real, the perturbation of its parameters moves nothing."""
    import genkit
    import torch
    from kit.notebook import lab_code

    plugin, ag = verdicts_env
    ns = lab_code(LAB, release)
    digits = genkit.load_tensors("mnist", train=False)[0][:3000] * 2 - 1

    class Served(torch.nn.Module):
        def __init__(self, z_dim=100):
            super().__init__()
            self.gain = torch.nn.Parameter(torch.ones(1))

        def load_state_dict(self, state, strict=True):  # any weights will do
            return None

        def forward(self, z):
            return digits[(z[:, 0].abs() * 1e4).long() % len(digits)]

    ns["DCGANGenerator"] = Served
    ns["generate"] = lambda n: ((Served()(torch.randn(n, 100)) + 1) / 2).reshape(n, 28, 28).numpy()
    results = run_tests(plugin, ag, ns)
    assert results.get_score("q7_quality") == 0, results.results["q7_quality"].test_case_results
    messages = [r.message for r in results.results["q7_quality"].test_case_results]
    assert any("barely change when its parameters do" in m or "copies of real" in m for m in messages), messages


def test_a_missing_checkpoint_loses_the_quality_question_with_a_reason(verdicts_env, release):
    from kit.notebook import lab_code

    plugin, ag = verdicts_env
    (ag / "submission" / "dcgan_generator.pt").unlink()
    results = run_tests(plugin, ag, lab_code(LAB, release))
    assert results.get_score("q7_quality") == 0 and results.get_score("q6_generate") == 2
    assert "dcgan_generator.pt is not in your submission" in results.results["q7_quality"].test_case_results[0].message


def test_otter_never_reads_the_kernels_results_file(tmp_path):
    """What otter would unpickle from the kernel is never read: its loader hands back the verdict plugin's results."""
    import pickle

    import gradeguard
    import otter.execute
    from otter.test_files import GradingResults

    gradeguard.harden_otter()
    evil = tmp_path / "results.pkl"

    class Run:
        def __reduce__(self):
            return (exec, (f"open({str(tmp_path / 'ran')!r}, 'w')",))

    evil.write_bytes(pickle.dumps(Run()))
    gradeguard.VERDICT[:] = [GradingResults([])]
    with open(evil, "rb") as f:
        assert otter.execute.pickle.load(f) is gradeguard.VERDICT[-1]
    assert not (tmp_path / "ran").exists()


def test_hidden_test_source_is_taken_out_of_the_feedback():
    """otter quotes the failing line of a test; for hidden tests the guard keeps only the exception."""
    import gradeguard

    message = ("❌ Test case failed\nError at line 11 in test q1_discriminator_loss:\n"
               "      loss = discriminator_loss(torch.zeros(4), torch.zeros(3))\nTypeError: 'NoneType' object is not callable")
    clean = gradeguard.without_test_source(message)
    assert "torch.zeros(4)" not in clean and "Error at line" not in clean
    assert clean.endswith("TypeError: 'NoneType' object is not callable") and clean.startswith("❌ Test case failed")


def test_what_crosses_the_kernel_boundary_is_data():
    """pack / unpack keep numbers, strings, containers, tensors (dtype, shape, requires_grad, device) and numpy values;
    any other object comes back as a name only, and a pickle inside the arrays is refused."""
    import base64
    import io

    import genkit
    import torch

    value = {"a": torch.arange(3, dtype=torch.float64).requires_grad_(), "b": (1, 2.5, "x", None, True),
             "c": np.float32(3.5), "d": np.zeros((2, 3), np.uint8), "e": [torch.nn.Linear(2, 2)],
             "f": torch.zeros(2, device="meta"), 7: 2 ** 60}
    back = genkit.unpack(json.loads(json.dumps(genkit.pack(value))))
    assert back["a"].dtype == torch.float64 and back["a"].requires_grad and back["a"].tolist() == [0, 1, 2]
    assert back["b"] == (1, 2.5, "x", None, True) and isinstance(back["c"], np.float32) and back[7] == 2 ** 60
    assert back["d"].dtype == np.uint8 and type(back["e"][0]).__name__ == "Linear"
    assert isinstance(back["e"][0], genkit.Foreign) and back["f"].kit_device == "meta"
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(npz := io.BytesIO(), "w") as z:
        z.writestr("arr_0.npy", buffer.getvalue())
    with pytest.raises(ValueError):
        genkit.unpack({"tree": {"ndarray": 0}, "arrays": base64.b64encode(npz.getvalue()).decode()})
    with pytest.raises(ValueError, match="malformed"):
        genkit.unpack({"tree": {"what": 1}, "arrays": genkit.pack(None)["arrays"]})


def test_an_error_in_the_kernel_is_raised_with_its_class_and_place():
    import genkit

    try:
        raise type("DigitError", (ValueError,), {})("c must be a digit")
    except ValueError as exc:
        info = genkit.describe_error(exc)
    rebuilt = genkit.rebuild_error(json.loads(json.dumps(info)))
    assert isinstance(rebuilt, ValueError) and type(rebuilt).__name__ == "DigitError"
    assert str(rebuilt).startswith("c must be a digit")


def test_sample_grid_is_a_png_of_the_graded_samples():
    import struct
    import zlib

    import verdicts

    samples = np.zeros((10, 5, 28, 28), dtype=np.float32)
    samples[3] = 1.0  # the row of class 3 is white
    png = verdicts.png_grid(samples)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (5 * 28, 10 * 28)
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width + 1)[:, 1:]
    assert rows[3 * 28:4 * 28].min() == 255 and rows[:3 * 28].max() == 0
    flat = verdicts.png_grid(np.random.default_rng(0).random((1000, 28, 28)))
    assert struct.unpack(">II", flat[16:24]) == (280, 280)


class Page:
    """An HTML fragment read with Python's HTML parser: its tables (rows of cell texts) and its images' sources."""

    def __init__(self, text: str):
        from html.parser import HTMLParser

        self.tables, self.images, self.text = [], [], []
        page = self

        class Reader(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag == "table":
                    page.tables.append([])
                elif tag == "tr":
                    page.tables[-1].append([])
                elif tag in ("td", "th"):
                    page.tables[-1][-1].append("")
                elif tag == "img":
                    page.images.append(dict(attrs).get("src", ""))

            def handle_data(self, data):
                page.text.append(data)
                if page.tables and page.tables[-1] and page.tables[-1][-1] and self.get_starttag_text() and \
                        self.get_starttag_text().startswith(("<td", "<th")):
                    page.tables[-1][-1][-1] += data

        Reader().feed(text)
        self.text = "".join(self.text)


def test_html_report_shows_figures_per_class_table_and_grid():
    import base64

    import verdicts

    figures = {"label_accuracy": 0.42, "fd_ratio": 3.2, "per_class": [0.9] * 9 + [0.0],
               "classes": [str(i) for i in range(10)], "spread": 0.1}
    grid = base64.b64encode(verdicts.png_grid(np.zeros((10, 5, 28, 28), np.float32))).decode()
    page = Page(verdicts.html_report("cgan", figures, grid))
    figures_table, classes = page.tables
    assert figures_table[0] == ["figure", "value"] and ["label accuracy (hidden judge)", "42.0%"] in figures_table
    assert classes[0][:3] == ["class", "0", "1"] and classes[1][:2] == ["accuracy", "90%"]
    assert base64.b64decode(page.images[0].split(",", 1)[1]).startswith(b"\x89PNG")
    assert Page(verdicts.html_report("cgan", {"error": "no <samples>"}, None)).text == "cgan: no <samples>"

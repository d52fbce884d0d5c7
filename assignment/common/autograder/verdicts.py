"""verdicts: an otter-grader plugin that decides every point outside the student's kernel.

The build (kit/build.py) puts this file, the lab's grading modules (grading.py, grading_<lab>.py) and, for a lab that
judges samples, the hidden judges, the copy banks and the realism statistics at the root of every lab's autograder
zip (not in files/, which otter copies beside the submission), and lists it after the grading guard::

    "plugins": [{"gradeguard.GradeGuard": {...}},
                {"verdicts.Verdicts": {"lab": "cgan_vae",
                                       "assets": ["copybank_mnist.pt", "judge_mnist_hidden.pt", "realism_mnist.pt"],
                                       "leaderboard": false}}]

Pattern (PrairieLearn's Python grader does the same): a test is a function of the notebook's names whose calls of
the student's code go through ``genkit.in_kernel(run, name, ...)``, where ``run`` calls the student's functions on
inputs it builds and returns what they gave.  In a student's notebook all of it runs in the notebook.  At grading:

* **before the notebook runs** (``before_grading``, in otter's process): this plugin reads the zip's test files and
  imports genkit, grading and the lab's grading module from the zip's own copies; it loads the hidden judge, the copy
  bank and the realism statistics into memory and deletes them from the disk (and the copy of the zip that
  ``python -m kit.grade`` works from, named by KIT_AUTOGRADER_COPY); the kernel, in its box, cannot read the
  autograder's folder anyway (gradeguard.py, sandbox.py);
* **after the student's cells have run, with the kernel alive** (the guard's AFTER_CELLS hook): every test case of
  every test file runs here, in otter's process.  The notebook's names are stand-ins (gradeguard.Remote):
  ``in_kernel`` sends ``run`` to the kernel, which calls the student's code and sends back plain data (gradeguard.
  Kernel.call; genkit.pack), and the test checks it here, against expected values that never enter the kernel.
  Judged samples (``grading.judged``) are drawn the same way and judged here with the hidden judge.  The points of
  each test case are the zip's; what the kernel reports, prints or patches changes nothing.  These results are
  what otter reads back "from the kernel" (gradeguard.VERDICT);
* **after grading**: each judged question's result carries a report of what was measured, in HTML (the figures, the
  per-class table, a grid of the graded samples as a data: PNG), the figures go into results.json as ``extra_data`` ("samples",
  keyed by model, and "grading_seconds"), samples closer to real data than the model's ``review_below`` are flagged
  for the instructor (grading.review_note; no point is taken), and with ``"leaderboard": true`` (``python -m kit.build
  --leaderboard``) they fill Gradescope's leaderboard (LEADERBOARD).
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import time
from pathlib import Path

from otter.plugins import AbstractOtterPlugin

# Leaderboard columns: (figure, title, order) for each model that has the figure.
LEADERBOARD = (("label_accuracy", "label accuracy", "desc"), ("inception_score", "judge score", "desc"),
               ("success", "attack success", "desc"), ("fd_ratio", "FD / floor", "asc"))
JUDGED_CALL = re.compile(r"""JUDGED\[\s*["'](\w+)["']\s*\]""")
# The figures a judged question's report shows, in this order: (key, what it is).
FIGURE_TITLES = (("label_accuracy", "label accuracy (hidden judge)"), ("inception_score", "judge score (Inception Score)"),
                 ("fd_ratio", "realism: Fréchet distance to real images / the real-data floor (lower is better)"),
                 ("agreement", "agreement of a second judge, as a share of real images'"),
                 ("coverage_min", "coverage: spread of the least varied class / real images' (hidden judge's features)"),
                 ("spread", "variety: mean distance between samples"), ("copies", "share of near copies of real images"),
                 ("echoes", "share of samples far closer to one real image than to any other (coarsely)"),
                 ("brightness", "mean brightness / real images'"), ("success", "attack success rate"),
                 ("linf", "largest change of a pixel"),
                 ("match", "generate's samples against the network's: Fréchet distance / the real-data floor"),
                 ("dependence", "mean change of a pixel when the network's parameters are perturbed"),
                 ("parameters", "numbers in the checkpoint's weights"))


def png_grid(images, columns: int = 10) -> bytes:
    """A grayscale PNG of up to 10 rows of ``columns`` images (values in [0, 1]): for (rows, n, H, W) one row per
    class, for (n, H, W) or (n, 1, H, W) rows of ``columns``."""
    import struct
    import zlib

    import numpy as np

    a = np.asarray(images, dtype=np.float32)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 3:
        n = min(len(a) // columns, 10) * columns or len(a)
        a = a[:n].reshape(-1, min(columns, n), *a.shape[1:])
    a = np.nan_to_num(a[:10, :columns], nan=0.0).clip(0, 1)
    rows, cols, h, w = a.shape
    pixels = (255 * a.transpose(0, 2, 1, 3).reshape(rows * h, cols * w)).astype(np.uint8)
    raw = b"".join(b"\x00" + line.tobytes() for line in pixels)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", cols * w, rows * h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def html_report(model: str, figures: dict, grid_png: str | None) -> str:
    """What was measured on one model's samples, as HTML (Gradescope shows a test's output as HTML when its
    output_format is "html", images given as data: URIs included): its figures, the per-class table and a grid of the
    samples that were graded (a base64 PNG)."""
    from html import escape

    if "error" in figures:
        return f"<p><strong>{escape(model)}</strong>: {escape(figures['error'])}</p>"

    def row(cells, tag="td"):
        return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"

    rows = [row(["figure", "value"], "th")]
    for key, title in FIGURE_TITLES:
        if isinstance(figures.get(key), (int, float)):
            value = figures[key]
            shown = (f"{value:.1%}" if key in ("label_accuracy", "success", "copies", "echoes") else f"{value:,}"
                     if key == "parameters" else "0" if abs(value) < 1e-6 else f"{value:.3g}")
            rows.append(row([title, shown]))
    for run in figures.get("runs") or []:  # fool: one run per kind of start
        if isinstance(run, dict) and {"from", "target", "p_min", "moved", "follows"} <= set(run):
            rows.append(row([f"from {run['from']} to {run['target']}: least confidence, largest mean move of a "
                             "pixel, how the output follows its start",
                             f"{run['p_min']:.2f}, {run['moved']:.3f}, {run['follows']:.2f}"]))
    parts = [f"<p><strong>{escape(model)}</strong>, measured on the samples the autograder drew:</p>",
             "<table>" + "".join(rows) + "</table>"]
    names = figures.get("classes") or [str(i) for i in range(10)]
    per_class = []
    if figures.get("per_class"):
        per_class = [row(["accuracy", *(f"{v:.0%}" for v in figures["per_class"])])]
    elif figures.get("class_counts"):
        per_class = [row(["samples", *figures["class_counts"]])]
    if per_class and figures.get("coverage"):
        per_class.append(row(["coverage", *("-" if v is None else f"{v:.2f}" for v in figures["coverage"])]))
    if per_class:
        parts.append("<table>" + row(["class", *names], "th") + "".join(per_class) + "</table>")
    if grid_png:
        parts.append(f'<img alt="samples of {escape(model)} that were graded" src="data:image/png;base64,{grid_png}">')
    return "\n".join(parts)


class Verdicts(AbstractOtterPlugin):
    """See the module docstring."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self.sources: dict = {}    # test file path -> its source, read before any student code ran
        self.judged: dict = {}     # (question, test case) -> JUDGED key
        self.specs: dict = {}      # JUDGED key -> grading.Judged (or the lab's own kind)
        self.grading = None
        self.start = time.time()

    def before_grading(self, ag_config):
        import gradeguard

        self.start = time.time()
        add_extra_data()
        self.source = Path(ag_config.autograder_dir).resolve() / "source"
        for f in sorted((self.source / "tests").glob("*.py")):
            self.sources[str(f)] = f.read_text()
        for folder in (self.source / "files", self.source):  # the zip's own copies, imported before student code runs
            if str(folder) in sys.path:
                sys.path.remove(str(folder))
            sys.path.insert(0, str(folder))
        self.grading = importlib.import_module("grading")
        lab = importlib.import_module(f"grading_{self.plugin_config['lab']}")
        self.specs = getattr(lab, "JUDGED", {})
        self.grading.DATA_DIRS[:0] = [self.source, self.source / "files"]
        self.grading.JUDGED_FIGURES.clear()
        self.grading.JUDGED_SAMPLES.clear()
        copy = os.environ.get("KIT_AUTOGRADER_COPY", "")  # kit.grade's private copy of the zip
        if copy.endswith(".zip") and os.path.isfile(copy):
            os.remove(copy)
        if gradeguard.BOX_MODE[-1:] == ["none"]:  # no box keeps the kernel from the hidden files: off the disk now
            self.load_judges()
        gradeguard.AFTER_CELLS.append(self.run_tests)
        gradeguard.AFTER_KERNEL.append(self.finish)

    def load_judges(self) -> None:
        """Load the hidden judges, copy banks and realism statistics into memory and delete them from the disk."""
        for spec in self.specs.values():
            spec.draw.preload()
        for name in self.plugin_config.get("assets", []):
            for folder in (self.source, self.source / "files", Path(self.submission_path).parent):
                (folder / name).unlink(missing_ok=True)

    def run_tests(self, kernel) -> None:
        """Run every test case of the zip here, the notebook's names standing for the kernel's (the guard calls this
        with the kernel alive).  A judged test only draws its samples now (grading.JUDGE_LATER): ``finish`` judges
        them once the kernel is gone."""
        import gradeguard
        from otter.test_files.exception_test import ExceptionTestFile

        self.files, self.later = [], []
        self.grading.JUDGE_LATER = True
        try:
            for path, source in self.sources.items():
                tf = ExceptionTestFile.from_string(source, path=path)
                for tc, fn in zip(tf.test_cases, test_functions(source)):
                    hit = JUDGED_CALL.search(fn)
                    if hit:
                        self.judged[(tf.name, tc.name)] = hit.group(1)
                tf.test_case_results = [self.run_case(tf, tc, gradeguard.RemoteGlobals(kernel)) for tc in tf.test_cases]
                self.files.append(tf)
        finally:
            self.grading.JUDGE_LATER = False

    def run_case(self, tf, tc, env):
        """The result of one test case (as otter's ExceptionTestFile.run makes it), or None when it is judged later."""
        from otter.test_files.abstract_test import TestCaseResult

        try:
            tc.body.call_func(env)
            return TestCaseResult(test_case=tc, message="✅ Test case passed", passed=True)
        except self.grading.Deferred:
            self.later.append((tf, tc))
            return None
        except Exception as exc:  # what otter's runner writes, from the failing line of the test
            try:
                message = tf._generate_error_message(exc)
            except Exception:
                message = f"{type(exc).__name__}: {exc}"
            return TestCaseResult(test_case=tc, message=f"❌ Test case failed\n{message}", passed=False)

    def finish(self) -> None:
        """Once the kernel is gone (the guard calls this after killing it): load the hidden judges, judge the samples
        the judged tests drew, and hand otter the results (gradeguard.VERDICT)."""
        import gradeguard
        from otter.test_files import GradingResults

        files = getattr(self, "files", None)
        if files is None:  # the tests never ran (no kernel): each fails with the guard's reason
            self.run_tests(gradeguard.Kernel(None, "", 0, dead="your notebook could not be run"))
            files = self.files
        self.load_judges()
        for tf, tc in self.later:
            index = tf.test_cases.index(tc)
            tf.test_case_results[index] = self.run_case(tf, tc, gradeguard.RemoteGlobals(gradeguard.Kernel(
                None, "", 0, dead="the notebook's kernel is gone")))
        gradeguard.VERDICT.append(GradingResults(files))

    def after_grading(self, results):
        figures = {model: {k: v for k, v in f.items() if k not in ("confusion", "classes")}
                   for model, f in self.grading.JUDGED_FIGURES.items()}
        draws = {spec.draw.name: spec.draw for spec in self.specs.values()}
        grids = {model: grid_of(samples["network"] if isinstance(samples, dict) else samples,
                                getattr(draws.get(model), "per_class", 0))
                 for model, samples in self.grading.JUDGED_SAMPLES.items() if not isinstance(samples, Exception)}
        reports: dict = {}  # question -> report of the models its judged tests graded
        for (question, _), key in sorted(self.judged.items()):
            model = self.specs[key].draw.name if key in self.specs else None
            if model in figures and model not in reports.setdefault(question, {}):
                reports[question][model] = html_report(model, self.grading.JUDGED_FIGURES[model], grids.get(model))
        board = [{"name": f"{model}: {title}", "value": round(float(f[key]), 4), "order": order}
                 for model, f in sorted(figures.items()) for key, title, order in LEADERBOARD
                 if isinstance(f.get(key), (int, float))] if self.plugin_config.get("leaderboard") else []
        notes = [self.grading.review_note(spec.draw, self.grading.JUDGED_FIGURES[model]) for model, spec in
                 {s.draw.name: s for s in self.specs.values()}.items() if model in self.grading.JUDGED_FIGURES]
        notes = [note for note in notes if note]
        if notes:
            results.set_output("\n".join([results.output, *notes] if results.output else notes))
        results.set_plugin_data("Verdicts", {"figures": figures, "leaderboard": board, "grids": grids,
                                             "reports": {q: "\n\n".join(r.values()) for q, r in reports.items()},
                                             "seconds": round(time.time() - self.start, 1)})


def grid_of(samples, per_class: int = 0) -> str:
    """The samples that were graded as a base64 PNG grid: one row per class where ``per_class`` samples of each were
    drawn, else rows of ten."""
    import base64

    import numpy as np

    samples = np.asarray(samples)
    if per_class and samples.ndim == 3 and len(samples) == 10 * per_class:
        samples = samples.reshape(10, per_class, *samples.shape[1:])
    return base64.b64encode(png_grid(samples)).decode()


def test_functions(source: str) -> list[str]:
    """The source of each test case function of a test file, in order (otter numbers its cases that way)."""
    import ast

    tree = ast.parse(source)
    return [ast.get_source_segment(source, node) or "" for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.decorator_list]


def add_extra_data() -> None:
    """Make otter's results.json carry this plugin's figures as Gradescope's ``extra_data`` (otter 7 keeps plugin
    data out of it)."""
    from otter.test_files import GradingResults

    original = GradingResults.to_gradescope_dict
    if getattr(original, "adds_extra_data", False):
        return

    def to_gradescope_dict(self, ag_config):
        output = original(self, ag_config)
        data = self.get_plugin_data("Verdicts") or {}
        if data.get("figures"):
            output["extra_data"] = {**output.get("extra_data", {}), "samples": data["figures"],
                                    "sample_grids": data.get("grids", {}), "grading_seconds": data.get("seconds")}
        for test in output.get("tests", []):  # each judged question's result, as HTML with its report
            report = data.get("reports", {}).get(test.get("name"))
            if report:
                from html import escape

                test["output"] = f"<pre>\n{escape(test.get('output', '').strip(), quote=False)}\n</pre>\n{report}"
                test["output_format"] = "html"
        if data.get("leaderboard"):
            output["leaderboard"] = data["leaderboard"]
        return output

    to_gradescope_dict.adds_extra_data = True
    GradingResults.to_gradescope_dict = to_gradescope_dict

"""samplejudge: an otter-grader plugin that judges generated samples outside the student's kernel.

The build (kit/build.py) puts this file, the hidden judges, the copy banks and the realism statistics at the root of
every generative lab's autograder zip (not in files/, which otter copies beside the submission) and lists it in the
zip's otter_config.json after the grading guard::

    "plugins": [{"gradeguard.GradeGuard": {...}},
                {"samplejudge.SampleJudge": {"lab": "cgan_vae",
                                             "assets": ["judge_mnist_hidden.pt", "copybank_mnist.pt",
                                                        "realism_mnist.pt"],
                                             "leaderboard": false}}]

A judged test in a master notebook is one line, ``grading.judged(lab.JUDGED["cgan_label_accuracy"], generate)``:
in the kernel it only draws the model's samples (under fixed seeds) and saves them in ``kit-samples/``.  Otter's
test results come back from the kernel, which a student's cell can rewrite, so this plugin does not read them for
these tests:

* **before the notebook runs** (``before_grading``, in otter's process): it imports grading, genkit and the lab's
  grading module from the zip's own copies, loads the hidden judge, the copy bank and the realism statistics into
  memory and deletes those files from the disk, so that no student code can read them (and the copy of the zip
  that ``python -m kit.grade`` hands otter, named by the environment variable KIT_AUTOGRADER_COPY); it reads the points and the
  judged tests of each question from the zip's test files; it removes any ``kit-samples/`` shipped with the
  submission;
* **after the notebook has run** (``after_grading``, the kernel is gone): it judges each saved set of samples
  (``Draw.figures`` and ``Judged.check``: for samples, variety, copies, realism, then the test's own measure; for the
  attack lab, budget, range and success against the autograder's own copy of its CNN), sets the judged
  test cases' results from that verdict alone, and recomputes each question's points from the zip's test files:
  a test case's points are the file's, never the kernel's, and a question the zip does not have is dropped.

The figures it measured (label accuracy per class, Inception Score, the realism figures, the attack's success) go
into results.json as ``extra_data`` ("samples", keyed by model, and "grading_seconds", from before the notebook ran
to the end of judging).  Samples closer to real data than the model's ``review_below`` (grading.review_note) are
flagged for the instructor in the ``output`` field (no point is taken: deformed real images cannot be told from a
good generator by its samples); with ``"leaderboard": true`` (``python -m kit.build --leaderboard``) they also
fill Gradescope's leaderboard (LEADERBOARD: each model's quality figure and its realism).  What this does not stop is written in README.md ("What the autograder protects").
"""
from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import sys
from pathlib import Path

from otter.plugins import AbstractOtterPlugin

# Leaderboard columns: (figure, title, order) for each model that has the figure.
LEADERBOARD = (("label_accuracy", "label accuracy", "desc"), ("inception_score", "judge score", "desc"),
               ("success", "attack success", "desc"), ("fd_ratio", "FD / floor", "asc"))
NO_SAMPLES = ("no samples of {func} reached the autograder: {func} failed, or the cell that defines it did not "
              "run (see the error above).")
JUDGED_CALL = re.compile(r"""JUDGED\[\s*["'](\w+)["']\s*\]""")
# The figures a judged question's Markdown report shows, in this order: (key, what it is).
FIGURE_TITLES = (("label_accuracy", "label accuracy (hidden judge)"), ("inception_score", "judge score (Inception Score)"),
                 ("fd_ratio", "realism: Fréchet distance to real images / the real-data floor (lower is better)"),
                 ("agreement", "agreement of a second judge, as a share of real images'"),
                 ("coverage_min", "coverage: spread of the least varied class / real images' (hidden judge's features)"),
                 ("spread", "variety: mean distance between samples"), ("copies", "share of near copies of real images"),
                 ("brightness", "mean brightness / real images'"), ("success", "attack success rate"),
                 ("linf", "largest change of a pixel"))


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


def markdown_report(model: str, figures: dict, grid_png: str | None) -> str:
    """What the samplejudge measured on one model's samples, as Markdown: its figures, the per-class table and a
    grid of the samples that were graded (a base64 PNG)."""
    if "error" in figures:
        return f"**{model}**: {figures['error']}"
    lines = [f"**{model}**, measured on the samples the autograder drew:", "", "| figure | value |", "| --- | --- |"]
    for key, title in FIGURE_TITLES:
        if isinstance(figures.get(key), (int, float)):
            value = figures[key]
            shown = f"{value:.1%}" if key in ("label_accuracy", "success", "copies") else f"{value:.3g}"
            lines.append(f"| {title} | {shown} |")
    names = figures.get("classes") or [str(i) for i in range(10)]
    if figures.get("per_class"):
        lines += ["", "| class | " + " | ".join(names) + " |", "| --- " * (len(names) + 1) + "|",
                  "| accuracy | " + " | ".join(f"{v:.0%}" for v in figures["per_class"]) + " |"]
    elif figures.get("class_counts"):
        lines += ["", "| class | " + " | ".join(names) + " |", "| --- " * (len(names) + 1) + "|",
                  "| samples | " + " | ".join(str(v) for v in figures["class_counts"]) + " |"]
    if (figures.get("per_class") or figures.get("class_counts")) and figures.get("coverage"):
        lines.append("| coverage | " + " | ".join("-" if v is None else f"{v:.2f}" for v in figures["coverage"]) + " |")
    if grid_png:
        lines += ["", f"![samples of {model} that were graded](data:image/png;base64,{grid_png})"]
    return "\n".join(lines)


def question_points(test_file: Path) -> tuple[str, dict, dict]:
    """(question name, {test case: points}, {test case: JUDGED key}) of one of the zip's test files.

    Points follow otter: a test case's own ``points``, and the question's remaining points shared equally among
    the test cases that name none."""
    source = test_file.read_text()
    tree = ast.parse(source)
    name, total, cases, judged = test_file.stem, None, {}, {}
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.decorator_list]
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "name":
                name = ast.literal_eval(node.value)
            elif node.targets[0].id == "points":
                total = ast.literal_eval(node.value)
        elif node in functions:
            points = None
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call):
                    for kw in dec.keywords:
                        if kw.arg == "points":
                            points = ast.literal_eval(kw.value)
            case = f"{name} - {functions.index(node) + 1}"  # otter's name for an unnamed test case
            cases[case] = points
            hit = JUDGED_CALL.search(ast.get_source_segment(source, node) or "")
            if hit:
                judged[case] = hit.group(1)
    given = sum(p for p in cases.values() if p is not None)
    unnamed = [c for c, p in cases.items() if p is None]
    share = (max((total or 0) - given, 0) / len(unnamed)) if unnamed else 0
    return name, {c: (share if p is None else p) for c, p in cases.items()}, judged


class SampleJudge(AbstractOtterPlugin):
    """See the module docstring."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self.questions: dict = {}  # question -> {test case: points}
        self.judged: dict = {}     # (question, test case) -> JUDGED key
        self.specs: dict = {}      # JUDGED key -> grading.Judged
        self.figures: dict = {}    # model (Draw.name) -> draw_figures, or the reason there are none
        self.grids: dict = {}      # model -> base64 PNG of the samples that were graded
        self.grading = None

    def before_grading(self, ag_config):
        import time

        self.start = time.time()
        add_extra_data()
        source = Path(ag_config.autograder_dir) / "source"
        lab = self.plugin_config["lab"]
        for f in sorted((source / "tests").glob("*.py")):
            name, points, judged = question_points(f)
            self.questions[name] = points
            self.judged.update({(name, case): key for case, key in judged.items()})
        sys.path.insert(0, str(source / "files"))  # the zip's own copies, read before any student code runs
        try:
            self.grading = importlib.import_module("grading")
            self.specs = importlib.import_module(f"grading_{lab}").JUDGED
        finally:
            sys.path.remove(str(source / "files"))
        self.grading.DATA_DIRS[:0] = [source, source / "files"]
        for spec in self.specs.values():
            spec.draw.preload()
        for name in self.plugin_config.get("assets", []):
            for folder in (source, source / "files", Path(self.submission_path).parent):
                (folder / name).unlink(missing_ok=True)
        copy = os.environ.get("KIT_AUTOGRADER_COPY", "")  # kit.grade's private copy of the zip
        if copy.endswith(".zip") and os.path.isfile(copy):
            os.remove(copy)
        shutil.rmtree(Path(self.submission_path).parent / self.grading.SAMPLES_DIR, ignore_errors=True)

    def figures_of(self, draw) -> dict:
        """draw_figures of the samples the kernel saved for ``draw``, or {"error": what went wrong}."""
        if draw.name not in self.figures:
            folder = Path(self.submission_path).parent
            path = folder / self.grading.SAMPLES_DIR / f"{draw.name}.npy"
            try:
                if draw.checkpoint and not (folder / draw.checkpoint).exists():
                    self.grading.check_submitted(draw.checkpoint)
                if not path.exists():
                    raise self.grading.SubmissionError(NO_SAMPLES.format(func=draw.func))
                import numpy as np

                samples = np.load(path, allow_pickle=False)
                self.figures[draw.name] = draw.figures(samples)
                try:
                    import base64

                    per_class = getattr(draw, "per_class", None)
                    shown = (samples.reshape(10, per_class, *samples.shape[1:]) if per_class and samples.ndim == 3
                             and len(samples) == 10 * per_class else samples)
                    self.grids[draw.name] = base64.b64encode(png_grid(shown)).decode()
                except Exception:  # a picture is a courtesy: never a reason to lose the verdict
                    pass
            except self.grading.SubmissionError as exc:
                self.figures[draw.name] = {"error": str(exc)}
            except Exception as exc:  # an unreadable file: the student's fault, never a crashed autograder
                self.figures[draw.name] = {"error": f"the samples of {draw.func} could not be read "
                                                    f"({type(exc).__name__}: {exc})."}
        return self.figures[draw.name]

    def judge(self, key: str) -> str | None:
        """None when the judged test ``key`` passes, else the message a student reads."""
        spec = self.specs.get(key)
        if spec is None:
            return f"the autograder has no judged test {key!r}: tell your instructor."
        figures = self.figures_of(spec.draw)
        if "error" in figures:
            return figures["error"]
        try:
            spec.check(figures)
        except self.grading.SubmissionError as exc:
            return str(exc)
        return None

    def after_grading(self, results):
        for name in list(results.results):
            if name not in self.questions:
                del results.results[name]  # not a question of this lab: the kernel made it up
        for name, test_file in results.results.items():
            points = self.questions[name]
            test_file.test_case_results = [r for r in test_file.test_case_results if r.test_case.name in points]
            test_file.test_cases = [tc for tc in test_file.test_cases if tc.name in points]
            for tc in test_file.test_cases:
                tc.points = points[tc.name]
            for r in test_file.test_case_results:
                r.test_case.points = points[r.test_case.name]
                key = self.judged.get((name, r.test_case.name))
                if key is not None:
                    message = self.judge(key)
                    if message is not None and message.startswith(NO_SAMPLES[:20]) and not r.passed and r.message:
                        # the kernel's own reason (a bad output, a missing checkpoint) says more than "no samples"
                        r.message = f"{r.message.strip()}\n(no samples of {self.specs[key].draw.func} reached the autograder)"
                    else:
                        r.message = "" if message is None else f"AssertionError: {message}"
                    r.passed = message is None
            present = {r.test_case.name for r in test_file.test_case_results}
            score = sum(p for case, p in points.items() if case in present and any(
                r.passed for r in test_file.test_case_results if r.test_case.name == case))
            test_file.update_score(score)
            test_file.all_or_nothing = False
        figures = {model: {k: v for k, v in f.items() if k not in ("confusion", "classes")}
                   for model, f in self.figures.items()}
        reports: dict = {}  # question -> Markdown report of the models its judged tests graded
        for (question, _), key in sorted(self.judged.items()):
            model = self.specs[key].draw.name if key in self.specs else None
            if model in self.figures and model not in reports.setdefault(question, {}):
                reports[question][model] = markdown_report(model, self.figures[model], self.grids.get(model))
        board = [{"name": f"{model}: {title}", "value": round(float(f[key]), 4), "order": order}
                 for model, f in sorted(figures.items()) for key, title, order in LEADERBOARD
                 if isinstance(f.get(key), (int, float))] if self.plugin_config.get("leaderboard") else []
        notes = [self.grading.review_note(spec.draw, self.figures[model]) for model, spec in
                 {s.draw.name: s for s in self.specs.values()}.items() if model in self.figures]
        notes = [note for note in notes if note]
        if notes:  # after the guard's own notes (the guard's after_grading runs first)
            results.set_output("\n".join([results.output, *notes] if results.output else notes))
        import time

        results.set_plugin_data("SampleJudge", {"figures": figures, "leaderboard": board, "grids": self.grids,
                                                "reports": {q: "\n\n".join(r.values()) for q, r in reports.items()},
                                                "seconds": round(time.time() - getattr(self, "start", time.time()), 1)})


def add_extra_data() -> None:
    """Make otter's results.json carry this plugin's figures as Gradescope's ``extra_data`` (otter 7 keeps plugin
    data out of it)."""
    from otter.test_files import GradingResults

    original = GradingResults.to_gradescope_dict
    if getattr(original, "adds_extra_data", False):
        return

    def to_gradescope_dict(self, ag_config):
        output = original(self, ag_config)
        data = self.get_plugin_data("SampleJudge") or {}
        if data.get("figures"):
            output["extra_data"] = {**output.get("extra_data", {}), "samples": data["figures"],
                                    "sample_grids": data.get("grids", {}), "grading_seconds": data.get("seconds")}
        for test in output.get("tests", []):  # each judged question's result, as Markdown with its report
            report = data.get("reports", {}).get(test.get("name"))
            if report:
                text = test.get("output", "").strip().replace("```", "` ` `")
                test["output"] = f"```\n{text}\n```\n\n{report}"
                test["output_format"] = "md"
        if data.get("leaderboard"):
            output["leaderboard"] = data["leaderboard"]
        return output

    to_gradescope_dict.adds_extra_data = True
    GradingResults.to_gradescope_dict = to_gradescope_dict

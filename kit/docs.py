"""The tables in docs/ that state figures which change (versions, bars, timings, the references' quality), written from
their one source: the code (the pinned requirements, each lab's BARS and judged draws, the judges' checkpoints) and
the file `make bench` writes (docs/bench.json).

    python -m kit.docs                 # write every table
    python -m kit.docs --check         # list the tables that differ from what they would be written as (exit 1)
    python -m kit.docs --screenshots   # render one judged result per lab to docs/feedback-<lab>.png (Chromium)

A table sits between ``<!-- kit:NAME -->`` and ``<!-- /kit:NAME -->`` in a page; NAME is one of TABLES (``bars:LAB``
for each lab).  tests/test_docs.py fails when a committed page and the code disagree.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from kit import GRADING_REQUIREMENTS, ROOT, grading_requirements
from kit.labs import ALL, get

DOCS = ROOT / "docs"
BENCH = DOCS / "bench.json"
BLOCK = re.compile(r"(<!-- kit:(?P<name>[\w:-]+) -->\n)(?P<body>.*?)(<!-- /kit:(?P=name) -->)", re.S)


def table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def bench() -> dict:
    """docs/bench.json (what `make bench` measured), or {} where it was never written."""
    return json.loads(BENCH.read_text()) if BENCH.exists() else {}


def versions() -> str:
    rows = []
    for line in grading_requirements():
        if line.startswith("--"):
            continue
        name, version = line.split("==")
        rows.append([f"`{name}`", version, "the zips (Gradescope) and .gradeenv (the suite)"])
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#") and line.split("==")[0] in ("torch", "torchvision"):
            name, version = line.split("==")
            rows.append([f"`{name}`", version, "the build and the solution notebooks (.venv, `make release`)"])
    return (table(["package", "version", "installed in"], rows)
            + f"\nSource: `{GRADING_REQUIREMENTS.relative_to(ROOT)}` and `requirements.txt`.\n")


def grading() -> str:
    figures = bench().get("grading", {})
    if not figures:
        return "No figures yet: run `make bench`.\n"
    rows = []
    for lab in (lab.name for lab in ALL):
        f = figures.get(lab)
        if not f:
            continue
        boxes = [f"{f['box'][mb]['seconds']:.0f} s, peak {f['box'][mb]['peak_mb']} MB ({f['box'][mb]['score']})"
                 if mb in f.get("box", {}) else "-" for mb in ("768", "576")]
        rows.append([lab, f"{f['score']}", f"{f['seconds']:.0f} s", *boxes])
    return (table(["lab", "solution's score", "grading, one core", "in the box, 768 MB / 0.5 CPU",
                   "in the box, 576 MB / 0.5 CPU"], rows)
            + "\nMeasured by `make bench` on " + bench().get("machine", "the kit's machine") + ".\n")


def judges() -> str:
    import torch

    from kit import judges as kit_judges

    rows = []
    for name, (cls, seed, epochs, bar) in sorted(kit_judges.SPECS.items()):
        path = kit_judges.path_of(name)
        acc = torch.load(path, weights_only=True).get("test_accuracy") if path.exists() else None
        rows.append([name.replace("_", " "), f"`{cls.__module__}.{cls.__name__}`", f"{seed}, {epochs}",
                     "-" if acc is None else f"{acc:.2%}", f"≥ {bar:.1%}"])
    return table(["judge", "architecture", "seed, epochs", "test accuracy (stored with it)", "bar"], rows)


def references() -> str:
    figures = bench().get("references", {})
    if not figures:
        return "No figures yet: run `make bench`.\n"
    rows = []
    for model, f in figures.items():
        measure = (f"label accuracy {f['label_accuracy']:.1%}" if "label_accuracy" in f
                   else f"judge score {f['inception_score']:.2f}" if "inception_score" in f
                   else f"attack success {f['success']:.0%}" if "success" in f else "-")
        fd = f"{f['fd_ratio']:.1f}" if isinstance(f.get("fd_ratio"), (int, float)) else "-"
        cover = f"{f['coverage_min']:.2f}" if isinstance(f.get("coverage_min"), (int, float)) else "-"
        trained = f"{f['train_seconds']:.0f} s" if isinstance(f.get("train_seconds"), (int, float)) else "-"
        rows.append([f"{f.get('lab', '')}: {model}", fd, cover, measure, trained])
    return table(["reference", "FD / floor", "least coverage", "the question's measure", "training (stored)"],
                 rows) + "\nMeasured by `make bench` (the build's grading of each solution).\n"


def bars(lab_name: str) -> str:
    lab = get(lab_name)
    module = lab.grading
    rows = [[f"`{key}`", value] for key, value in getattr(module, "BARS", {}).items()]
    draws = {spec.draw.name: spec.draw for spec in getattr(module, "JUDGED", {}).values()}
    for draw in draws.values():
        for attr, what in (("review_below", "flagged for review below FD / floor"),
                           ("max_parameters", "flagged above this many numbers in the weights")):
            value = getattr(draw, attr, None)
            if value:
                rows.append([f"{draw.name}: {what}", f"{value:,}" if isinstance(value, int) else value])
    text = table(["bar", "value"], rows) if rows else "No bars.\n"
    return text + f"\nSource: `assignment/{lab.name}/grading_{lab.name}.py`.\n"


def shared_bars() -> str:
    """The bars every generative lab's judged samples share (assignment/common/autograder/grading.py)."""
    import grading

    rows = [["variety: pixel spread at least (per class, overall)", "{per_class}, {overall}".format(**grading.VARIETY_BARS)],
            ["copies of banked real images: share at most", grading.COPY_SHARE_BAR],
            ["echoes of real images (changed copies, flagged for the instructor): share at most",
             grading.ECHO_SHARE_BAR],
            ["brightness: mean pixel value / real images', between", "{}, {}".format(*grading.BRIGHTNESS_BARS)],
            ["coverage of every class at least", grading.COVERAGE_BAR],
            ["generate's samples against the network's: FD / floor at most", grading.MATCH_BAR],
            ["a conditional generate's label accuracy under the network's, at most", grading.LABEL_GAP],
            ["mean change of a pixel when the network's parameters are perturbed, at least", grading.DEPENDENCE_BAR]]
    return table(["bar", "value"], rows) + "\nSource: `assignment/common/autograder/grading.py`.\n"


TABLES = {"versions": versions, "shared-bars": shared_bars, "grading": grading, "judges": judges, "references": references,
          **{f"bars:{lab.name}": (lambda name=lab.name: bars(name)) for lab in ALL}}


def render(text: str) -> str:
    """``text`` with every table block written anew."""
    def fill(m):
        make = TABLES.get(m.group("name"))
        if make is None:
            raise SystemExit(f"docs: no table named {m.group('name')!r}; the tables are {', '.join(TABLES)}")
        return m.group(1) + make() + m.group(4)
    return BLOCK.sub(fill, text)


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]


def stale() -> list[str]:
    """The pages whose tables differ from what the code and docs/bench.json say, with the tables' names."""
    out = []
    for page in pages():
        text = page.read_text()
        fresh = render(text)
        if fresh != text:
            names = [m.group("name") for m, n in zip(BLOCK.finditer(text), BLOCK.finditer(fresh))
                     if m.group("body") != n.group("body")]
            out.append(f"{page.relative_to(ROOT)}: {', '.join(names)}")
    return out


def screenshots(results: Path | None = None) -> list[Path]:
    """One judged result per lab (the solution's, as the build graded it: ``results``, a folder of <lab>.json written by
    `kit.build --results`, else a build into a temporary folder) rendered with headless Chromium (Debian's chromium)
    into docs/feedback-<lab>.png."""
    import shutil
    import subprocess
    import tempfile

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("docs: no chromium (apt-get install chromium)")
    written = []
    work = Path(tempfile.mkdtemp(prefix="kit-docs-"))
    if results is None:
        results = work / "results"
        subprocess.run([sys.executable, "-m", "kit.build", "--out", str(work), "--results", str(results)], check=True,
                       cwd=ROOT)
    results_dir = work
    for lab in ALL:
        res = json.loads((Path(results) / f"{lab.name}.json").read_text())
        judged = [t for t in res.get("tests", []) if t.get("output_format") == "html"]
        if not judged:
            continue
        page = results_dir / f"{lab.name}.html"
        page.write_text(f"<html><body style='font-family: sans-serif; width: 760px'><h3>{judged[0]['name']}: "
                        f"{judged[0]['score']:g} / {judged[0]['max_score']:g}</h3>{judged[0]['output']}</body></html>")
        out = DOCS / f"feedback-{lab.name}.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--disable-background-networking", "--disable-component-update", "--no-first-run",
                        f"--user-data-dir={results_dir / 'chromium'}", "--window-size=760,760",
                        f"--screenshot={out}", page.as_uri()], check=True, capture_output=True)
        written.append(out)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="list the tables that are out of date; exit 1 if any")
    ap.add_argument("--screenshots", action="store_true", help="render docs/feedback-<lab>.png")
    ap.add_argument("--results", type=Path, help="with --screenshots: the <lab>.json of an earlier `kit.build --results`")
    args = ap.parse_args(argv)
    if args.screenshots:
        for path in screenshots(args.results):
            print(f"wrote {path.relative_to(ROOT)}")
        return
    if args.check:
        out = stale()
        for line in out:
            print(line)
        raise SystemExit(1 if out else 0)
    for page in pages():
        text = page.read_text()
        fresh = render(text)
        if fresh != text:
            page.write_text(fresh)
            print(f"wrote {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Edit a master notebook as plain text, and write it back.

    python -m kit.nbtext to-text assignment/gan/gan.ipynb gan.txt      # notebook -> text
    python -m kit.nbtext to-notebook gan.txt assignment/gan/gan.ipynb  # text -> notebook

The text holds one cell after each delimiter line: ``%%md``, ``%%raw`` or ``%%code`` (a comma-separated tag
list may follow, e.g. ``%%code otter_ignore``). Outputs are dropped and cell ids are numbered, so a diff of
the notebook shows only what changed. The notebook stays the source of truth; the text is a way to edit it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

KINDS = {"markdown": "md", "raw": "raw", "code": "code"}


def to_text(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        parts.append(f"%%{KINDS[cell.cell_type]}" + (f" {','.join(tags)}" if tags else "") + "\n" + cell.source)
    return "\n".join(parts) + "\n"


def to_notebook(text: str) -> nbformat.NotebookNode:
    cells, kind, tags, buf = [], None, [], []

    def flush():
        if kind is None:
            return
        source = "\n".join(buf).strip("\n")
        cell = {"md": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell,
                "code": nbformat.v4.new_code_cell}[kind](source)
        if tags:
            cell.metadata["tags"] = tags
        cell.id = f"cell-{len(cells):03d}"
        cells.append(cell)

    for line in text.split("\n"):
        if line.startswith(("%%md", "%%raw", "%%code")):
            flush()
            words = line[2:].split()
            kind, tags, buf = words[0], (words[1].split(",") if len(words) > 1 else []), []
        else:
            buf.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("direction", choices=["to-text", "to-notebook"])
    ap.add_argument("source", type=Path)
    ap.add_argument("dest", type=Path)
    args = ap.parse_args(argv)
    if args.direction == "to-text":
        args.dest.write_text(to_text(args.source))
    else:
        nbformat.write(to_notebook(args.source.read_text()), args.dest)
    print(f"wrote {args.dest}")


if __name__ == "__main__":
    main()

"""The docs a newcomer reads: README is short and opens with the commands, every page of docs/ is linked from it, the
tables of figures that change are written from the code (kit.docs) and agree with it, and kit/'s modules import each
other without a circle."""
from __future__ import annotations

import ast
import re

from conftest import ROOT


def test_readme_is_short_and_opens_with_the_commands_and_the_student_line():
    text = (ROOT / "README.md").read_text()
    head = "\n".join(text.splitlines()[:40])
    assert len(text.encode()) < 8 * 1024, f"README.md is {len(text.encode())} bytes"
    assert "make release" in head and "make test" in head and re.search(r"^pip install .*otter-grader", head, re.M)


def test_every_page_of_docs_is_linked_from_the_readme():
    text = (ROOT / "README.md").read_text()
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert pages and not [p for p in pages if f"docs/{p}" not in text], pages


def test_every_link_between_pages_reaches_a_file():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)\)|src=\"([^\":]+)\"", page.read_text()):
            target = next(t for t in target if t)
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which is not there"


def test_the_docs_tables_agree_with_the_code():
    """python -m kit.docs writes them; this fails when one is stale (a bar or a version changed, make bench ran)."""
    from kit import docs

    assert docs.stale() == [], "run python -m kit.docs: " + "; ".join(docs.stale())


def test_a_stale_table_is_caught(tmp_path, monkeypatch):
    from kit import docs

    page = tmp_path / "page.md"
    page.write_text("<!-- kit:shared-bars -->\n| bar | value |\n| old | 1 |\n<!-- /kit:shared-bars -->\n")
    monkeypatch.setattr(docs, "pages", lambda: [page])
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert docs.stale() == ["page.md: shared-bars"]


def kit_imports() -> dict[str, set[str]]:
    """{module of kit/: the modules of kit/ it imports}, read from the source (imports inside functions too)."""
    graph, modules = {}, {p.stem for p in (ROOT / "kit").glob("*.py")}
    for path in (ROOT / "kit").glob("*.py"):
        name = path.stem
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kit"):
                mod = node.module.split(".")
                found |= {mod[1]} if len(mod) > 1 else {alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("kit.")}
        graph[name] = (found & modules) - {name, "__init__"}
    return graph


def test_no_module_of_kit_imports_one_that_imports_it_back():
    graph = kit_imports()

    def reaches(start, goal, seen=()):
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt))) for nxt in graph.get(start, ()))

    circles = sorted(m for m in graph if reaches(m, m))
    assert not circles, f"modules of kit/ in an import circle: {circles}"

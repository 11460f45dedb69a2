"""The README's and docs/'s relative links lead somewhere: text moved between them keeps its links."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, backticks and punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().replace("`", "").lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (outside code fences), repeats suffixed -1, -2 ..."""
    seen: dict[str, int] = {}
    fenced = False
    for line in path.read_text().split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"^#{1,6} (.*)", line)
        if match:
            slug = _slug(match.group(1))
            seen[slug] = seen.get(slug, -1) + 1
    return {slug if n == 0 else f"{slug}-{i}" for slug, n in seen.items() for i in range(n + 1)}


def _broken_links(files: list[Path]) -> list[str]:
    """Each relative link of ``files`` whose file is missing or whose #anchor is no heading of it."""
    broken = []
    for source in files:
        for target in LINK.findall(source.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            dest = (source.parent / path) if path else source
            if not dest.exists():
                broken.append(f"{source.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{source.name}: {target} (no such heading)")
    return broken


def test_every_relative_link_of_the_readme_and_docs_resolves():
    """Invariant: every relative link of README.md and docs/*.md names a file that exists and, with
    an anchor, a heading of that file."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert _broken_links(files) == []


def test_the_link_check_sees_a_missing_file_and_a_missing_heading(tmp_path):
    """The check itself fails on a broken link (it would otherwise pass by reading nothing)."""
    (tmp_path / "a.md").write_text("# Title `x`: y\n\n[ok](#title-x-y) [f](b.md) [h](a.md#nope)\n")
    assert _broken_links([tmp_path / "a.md"]) == ["a.md: b.md (no such file)", "a.md: a.md#nope (no such heading)"]

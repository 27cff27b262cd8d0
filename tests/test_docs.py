"""The README is a landing page and the documentation lives in docs/: what each must keep.

Oracles are the files themselves: the README's set-up commands are compared with the exact strings
CI runs (.ci/run), links are resolved against the tree, and the command pages against the click
group's registered commands. ``mkdocs build --strict`` (in CI) checks the site's own links.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from polyx.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install . && polyx demo"
TEST = '. .venv/bin/activate && pip install ".[test]" && pytest'
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)


def _code_blocks(text: str) -> list[str]:
    return [block.strip() for block in FENCE.findall(text)]


def test_readme_is_a_landing_page_of_at_most_200_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_opens_with_the_two_set_up_commands() -> None:
    """The first two code blocks are the install-and-demo and the test command, exactly."""
    assert _code_blocks(README.read_text(encoding="utf-8"))[:2] == [INSTALL, TEST]


def test_ci_installs_and_tests_exactly_as_the_readme_says() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert INSTALL.removesuffix(" && polyx demo") in script and TEST in script
    assert "mkdocs build --strict" in script


def test_getting_started_keeps_the_same_set_up_commands() -> None:
    assert _code_blocks((DOCS / "getting-started.md").read_text(encoding="utf-8"))[:2] == [INSTALL, TEST]


def test_every_relative_link_in_the_readme_resolves() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    assert local, "the README links to no documentation page"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_every_readme_docs_page_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {link.removeprefix("docs/") for link in re.findall(r"\]\((docs/[^)#\s]+\.md)", README.read_text(encoding="utf-8"))}
    absent = sorted(page for page in pages if f": {page}" not in nav)
    assert not absent, f"pages linked from the README but not in mkdocs.yml nav: {absent}"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_a_page_with_real_output(name: str) -> None:
    """Each registered command has docs/commands/NAME.md with its --help text and a run of it."""
    page = DOCS / "commands" / f"{name}.md"
    assert page.exists(), f"no documentation page for 'polyx {name}'"
    text = page.read_text(encoding="utf-8")
    assert f"Usage: polyx {name} [OPTIONS]" in text, f"{page.name} lacks the output of 'polyx {name} --help'"
    assert re.search(rf"^\$ polyx {name}\b", text, re.M), f"{page.name} shows no run of 'polyx {name}'"

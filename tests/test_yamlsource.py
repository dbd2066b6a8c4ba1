"""YAML with line numbers: every key path maps to the line an editor sees; duplicates and syntax errors are problems."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from builder.errors import Problem
from builder.yamlsource import load_yaml_file, parse_yaml


def test_lines_of_top_level_and_nested_keys() -> None:
    text = "title: Shop\n\napi:\n  calls_per_build: 10\n  retries: 2\nnav:\n  - title: A\n    url: /a/\n  - title: B\n"
    doc = parse_yaml(text, "site.yaml")
    assert doc.problems == []
    assert doc.data["api"] == {"calls_per_build": 10, "retries": 2}
    assert doc.line_of(["title"]) == 1
    assert doc.line_of(["api"]) == 3
    assert doc.line_of(["api", "retries"]) == 5
    assert doc.line_of(["nav", 0]) == 7
    assert doc.line_of(["nav", 1, "title"]) == 9
    assert doc.line_of(["nav", 0, "url"]) == 8


def test_missing_key_points_at_its_parent() -> None:
    doc = parse_yaml("a: 1\nb:\n  c: 2\n", "f.yaml")
    assert doc.line_of(["b", "nope"]) == 2
    assert doc.line_of(["nope"]) == 1  # the document itself
    assert doc.line_of([]) == 1


def test_first_line_offset_shifts_every_line() -> None:
    doc = parse_yaml("title: About\nnav_order: x\n", "content/pages/about.md", first_line=2)
    assert doc.line_of(["title"]) == 2
    assert doc.line_of(["nav_order"]) == 3


def test_duplicate_key_is_reported_with_both_lines() -> None:
    doc = parse_yaml("title: A\nq: cams\ntitle: B\n", "content/categories/c.yaml")
    assert len(doc.problems) == 1
    problem = doc.problems[0]
    assert problem.file == "content/categories/c.yaml"
    assert problem.line == 3
    assert "title" in problem.message and "line 1" in problem.message
    assert str(problem).startswith("content/categories/c.yaml:3: title:")


def test_duplicate_keys_in_nested_mapping_and_not_across_mappings() -> None:
    doc = parse_yaml("api:\n  retries: 1\n  retries: 2\nnav:\n  - title: a\n  - title: b\n", "s.yaml")
    assert [(p.line, p.message.split(":")[0]) for p in doc.problems] == [(3, "retries")]


def test_syntax_error_is_a_problem_with_a_line_not_an_exception() -> None:
    doc = parse_yaml("title: ok\nq: [unclosed\nitems: 3\n", "content/categories/bad.yaml")
    assert doc.data is None
    assert len(doc.problems) == 1
    assert doc.problems[0].file == "content/categories/bad.yaml"
    assert doc.problems[0].line is not None and 2 <= doc.problems[0].line <= 4
    assert "not valid YAML" in doc.problems[0].message


def test_syntax_error_line_respects_offset() -> None:
    plain = parse_yaml("a: 1\nb: : :\n  - x\n", "f")
    shifted = parse_yaml("a: 1\nb: : :\n  - x\n", "f", first_line=11)
    assert plain.problems[0].line is not None
    assert shifted.problems[0].line == plain.problems[0].line + 10


@pytest.mark.parametrize("text", ["!!python/object/apply:os.system ['echo hi']\n", "a: !!python/name:os.system\n"])
def test_unsafe_tags_are_refused_as_problems(text: str) -> None:
    doc = parse_yaml(text, "f.yaml")
    assert doc.data is None
    assert doc.problems and "not valid YAML" in doc.problems[0].message


def test_empty_document_has_no_data_and_no_problems() -> None:
    doc = parse_yaml("", "f.yaml")
    assert doc.data is None
    assert doc.problems == []
    assert doc.line_of(["x"]) is None


def test_load_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"q: x\ntitle: caf\xe9\n")
    doc = load_yaml_file(path, "content/categories/c.yaml")
    assert doc.data is None
    assert doc.problems == [
        Problem(
            "content/categories/c.yaml",
            2,
            "is not UTF-8 text (byte 0xe9 at column 11); save the file with UTF-8 encoding",
        )
    ]


def test_load_missing_file_is_a_problem(tmp_path: Path) -> None:
    doc = load_yaml_file(tmp_path / "nope.yaml", "nope.yaml")
    assert doc.data is None
    assert doc.problems[0].file == "nope.yaml"
    assert "cannot be read" in doc.problems[0].message


def test_recursive_alias_is_a_problem_not_a_traceback() -> None:
    # A list that contains itself: PyYAML builds it happily; anything that walks it later (pydantic, JSON) would
    # recurse forever, so the file is refused where the mistake is.
    doc = parse_yaml("title: x\nq: &a [1, *a]\n", "content/categories/c.yaml")
    assert doc.data is None
    assert [str(p) for p in doc.problems] == [
        "content/categories/c.yaml:2: q: contains itself (an alias inside its own anchor); YAML data must not refer to itself"
    ]


def test_recursive_alias_in_a_category_is_reported_by_check(tmp_path: Path) -> None:
    from builder.content import load_site
    from builder.errors import ConfigError

    (tmp_path / "site.yaml").write_text("title: T\nbase_url: https://t.example\n")
    (tmp_path / "content" / "categories").mkdir(parents=True)
    (tmp_path / "content" / "categories" / "c.yaml").write_text("title: C\nq: x\nexclude_keywords: &k [a, *k]\n")
    with pytest.raises(ConfigError) as caught:
        load_site(tmp_path)
    assert any(
        line.startswith("content/categories/c.yaml:3: exclude_keywords: contains itself")
        for line in caught.value.lines()
    )


def test_alias_reused_many_times_is_indexed_quickly() -> None:
    # An alias of an alias of an alias: a "billion laughs" shape must not make indexing explode.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8) + "]")
    start = time.perf_counter()
    doc = parse_yaml("\n".join(levels) + "\n", "f.yaml")
    assert time.perf_counter() - start < 0.5
    assert doc.line_of(["a6"]) == 7


def test_syntax_errors_are_worded_by_pyyaml_even_when_libyaml_parses() -> None:
    doc = parse_yaml("title: Cameras\n\tq: camera\n", "content/categories/cameras.yaml")
    assert [str(p) for p in doc.problems] == [
        "content/categories/cameras.yaml:2: this is not valid YAML: found character '\\t' that cannot start any token"
    ]

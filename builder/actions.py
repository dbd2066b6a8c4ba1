"""What the site owner sees in GitHub Actions: annotations and the job summary, when the build runs there.

A scheduled rebuild that published with some prices withheld still succeeds (the site keeps earning), so the owner
must learn of it some other way than a red run: each problem becomes a `::warning::` annotation (shown on the run's
page and in the e-mail GitHub sends for failed runs), a failed build an `::error::`, and the build summary is
appended to `$GITHUB_STEP_SUMMARY` as Markdown. Outside Actions (`GITHUB_ACTIONS` not `true`) nothing here prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

TITLE = "affsite build"


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def _escape(text: str) -> str:
    # The workflow-command encoding: these three would otherwise end or corrupt the annotation.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotate(level: str, message: str, stream: TextIO | None = None) -> None:
    print(f"::{level} title={TITLE}::{_escape(message)}", file=stream or sys.stdout, flush=True)


def report_to_actions(
    warnings: Iterable[str], error: str | None, summary: Iterable[str], environ: Mapping[str, str] | None = None
) -> None:
    """Annotations for `warnings` and `error`, and the summary lines in the job summary (when in Actions)."""
    env = os.environ if environ is None else environ
    if not in_actions(env):
        return
    warnings = list(warnings)
    for message in warnings:
        annotate("warning", message)
    if error is not None:
        annotate("error", error)
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    lines = ["## affsite build", ""]
    if error is not None:
        lines += ["**Failed: nothing was published.**", "", "```", *error.splitlines(), "```", ""]
    elif warnings:
        lines += [f"**Published, with {len(warnings)} warning(s):**", ""]
        lines += [f"- {message}" for message in warnings]
        lines.append("")
    else:
        lines += ["**Published.**", ""]
    summary = list(summary)
    if summary:
        lines += ["```", *summary, "```", ""]
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as exc:
        print(f"could not write the job summary {path}: {exc.strerror}", file=sys.stderr)

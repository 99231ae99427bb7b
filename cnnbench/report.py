"""Conformance report: Markdown and a static HTML page from one ``Run``.

Sections: environment and versions, the matrix (op x backend x dtype: passed
cases, worst error as a fraction of its bound, sharpness, worst error as a
multiple of a careful evaluation's), the
convention table, failures with reproducers, and backends that did not load.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from cnnbench.reference.catalog import OPS
from cnnbench.reference.conventions import CONVENTIONS

from .atomic import replace_atomically
from .conformance import Result
from .results_file import dumps
from .runner import Run

MARK = {"pass": "✓", "fail": "✗", "not implemented": "—", "error": "⚠"}


def _cell(results: list[Result]) -> tuple[str, str]:
    """(text, status) for one matrix cell."""
    results = [r for r in results if r.status != "unsupported"]
    if not results:
        return "n/a", "na"
    if all(r.status == "not implemented" for r in results):
        return "—", "ni"
    judged = [r for r in results if r.status != "not implemented"]
    passed = sum(r.passed for r in judged)
    status = "pass" if passed == len(judged) else ("error" if any(r.status == "error" for r in judged) else "fail")
    fractions = [r.error for r in judged if r.error is not None and r.sharpness is not None]
    sharpness = [r.sharpness for r in judged if r.sharpness is not None]
    ratios = [r.ratio for r in judged if r.ratio is not None]
    text = f"{MARK[status]} {passed}/{len(judged)}"
    if missing := len(results) - len(judged):
        text += f" (+{missing} —)"
    if fractions:
        text += f" · {max(fractions):.2g}"
    if sharpness:
        text += f" · ±{max(sharpness):.1g}"
    if ratios:
        text += f" · ×{max(ratios):.2g}"
    return text, status


def matrix(run: Run) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Column headers and one row per op of (text, status) cells."""
    cells: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    columns: dict[tuple[str, str], None] = {}
    for r in run.results:
        cells[(r.op, r.backend, r.dtype)].append(r)
        columns[(r.backend, r.dtype)] = None
    headers = [f"{b} {d}" for b, d in columns]
    rows = [[(op.name, "op")] + [_cell(cells[(op.name, b, d)]) for b, d in columns] for op in OPS]
    return headers, rows


def _convention_cell(entry: dict, textbook: str) -> str:
    """The declared choice, bold when it departs from the textbook, with what was observed."""
    declared = entry["declared"]
    text = f"**{declared}**" if declared != textbook else declared
    if not entry["checked"]:
        return f"{text} (no op)"
    if entry["observed"] == [declared]:
        return f"{text} ✓"
    return f"{text} ✗ behaves as {', '.join(entry['observed']) or 'no choice'}"


def convention_rows(run: Run) -> tuple[list[str], list[list[str]]]:
    loaded = [b for b in run.backends if b.get("ok")]
    headers = ["convention", "textbook", *(b["name"] for b in loaded), "meaning"]
    rows = []
    for c in CONVENTIONS.values():
        cells = [_convention_cell(b["conventions"][c.name], c.textbook) for b in loaded]
        rows.append([c.name, c.textbook, *cells, c.meaning])
    return headers, rows


def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table: the header line, the rule, one line per row."""
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def _summary(run: Run) -> list[str]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in run.results:
        counts[f"{r.backend} {r.dtype}"][r.status] += 1
    statuses = ["pass", "fail", "blunt", "error", "not implemented", "unsupported"]
    headers = ["backend dtype", *statuses[:-1], "case not for this dtype"]
    return md_table(headers, [[k, *(str(v[s]) for s in statuses)] for k, v in counts.items()])


def to_markdown(run: Run) -> str:
    env = run.environment
    out = ["# cnnbench conformance report", ""]
    out += [
        f"- date: {env.get('date', '?')}",
        f"- machine: {env.get('machine', '?')}",
        f"- python {env.get('python', '?')}, cnnbench {env.get('cnnbench', '?')}, commit {env.get('commit', '?')}",
        f"- numerics: {env.get('numerics', '?')}",
    ]
    if "interrupted" in env:
        out.append(f"- **interrupted**: {env['interrupted']}")
    for b in run.backends:
        versions = ", ".join(f"{k} {v}" for k, v in b.get("versions", {}).items())
        origin = b.get("origin", {})
        where = (
            f" ({origin['module']}; {origin['distribution']})"
            if origin and not b.get("spec", "").startswith("cnnbench.")
            else ""
        )
        out.append(f"- backend **{b['name']}**{where}: " + (versions if b["ok"] else f"not run ({b['reason']})"))
    out += ["", "## Summary (checks per backend and dtype)", "", *_summary(run), ""]
    headers, rows = matrix(run)
    out += [
        "## Matrix",
        "",
        "Each cell: passed/checked cases over both directions · worst error as a fraction of its bound "
        "(≤ 1 passes) · sharpness: the smallest uniform relative error (±) that every check of the cell "
        "rejects · below float64, worst error as a multiple of a careful evaluation's (the reference in "
        "float32 rounded to the dtype). — not implemented, n/a dtype not supported.",
        "",
    ]
    out += md_table(["op", *headers], [[text for text, _ in row] for row in rows])
    ch, cr = convention_rows(run)
    out += [
        "",
        "## Conventions",
        "",
        "Declared choice per backend; bold where it departs from the textbook. ✓: at the kink and tie cases "
        "the backend behaves as declared and as no other choice.",
        "",
        *md_table(ch, cr),
    ]
    failures = [r for r in run.results if r.status in ("fail", "error")]
    out += ["", f"## Failures ({len(failures)})", ""]
    for r in failures:
        out += [
            f"### {r.backend} · {r.op}[{r.case}] · {r.dtype} · {r.direction}",
            "",
            "```",
            r.detail,
            "```",
            f"Reproduce: `{r.reproducer}`",
            "",
        ]
    return "\n".join(out) + "\n"


CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f4f4f4}img{max-width:100%}
td.pass{background:#e6f6e6}td.fail,td.error{background:#fbe3e3}td.ni,td.na{color:#888}pre{background:#f7f7f7;padding:8px}"""


def _html_table(headers: list[str], rows: list[list[tuple[str, str]]], table_id: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{cls}">{html.escape(text)}</td>' for text, cls in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html_body(run: Run) -> str:
    """The conformance report as HTML, without the page around it (``html_page``)."""
    env = run.environment
    headers, rows = matrix(run)
    ch, cr = convention_rows(run)
    conv_rows = [[(c.replace("**", ""), "") for c in row] for row in cr]
    failures = [r for r in run.results if r.status in ("fail", "error")]
    fail_html = "".join(
        f"<h3>{html.escape(f'{r.backend} · {r.op}[{r.case}] · {r.dtype} · {r.direction}')}</h3>"
        f"<pre>{html.escape(r.detail)}</pre><p>Reproduce: <code>{html.escape(r.reproducer)}</code></p>"
        for r in failures
    )
    backends = "".join(
        f"<li><b>{html.escape(b['name'])}</b>: "
        + html.escape(
            ", ".join(f"{k} {v}" for k, v in b.get("versions", {}).items()) if b["ok"] else f"not run ({b['reason']})"
        )
        + "</li>"
        for b in run.backends
    )
    meta = " · ".join(html.escape(env.get(k, "")) for k in ("date", "machine", "python", "commit", "numerics"))
    return (
        "<h1>cnnbench conformance report</h1>"
        f"<p>{meta}</p><ul>{backends}</ul>"
        "<h2>Matrix</h2><p>passed/checked · worst error / bound · ± sharpness · × a careful evaluation's error</p>"
        f"{_html_table(['op', *headers], rows, 'matrix')}"
        f"<h2>Conventions</h2>{_html_table(ch, conv_rows, 'conventions')}"
        f"<h2>Failures ({len(failures)})</h2>{fail_html}"
    )


def html_page(title: str, body: str) -> str:
    """A static page around ``body``, with the report's style."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )


def to_html(run: Run) -> str:
    return html_page("cnnbench conformance", html_body(run))


def write(run: Run, directory: Path) -> list[Path]:
    """Write conformance.json (strict JSON), .md and .html into ``directory``, each atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "conformance.json", directory / "conformance.md", directory / "conformance.html"]
    for path, text in zip(paths, (dumps(run.to_json(), indent=1), to_markdown(run), to_html(run)), strict=True):
        replace_atomically(path, text.encode("utf-8"))
    return paths

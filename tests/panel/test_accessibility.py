"""Every panel page of tests/panel/pages.py, in Polish, checked in Chromium by axe-core
(vendored for the tests only: tests/vendor/) at a phone's width (390 px) and a desktop's
(1280 px): the test fails on any violation axe rates "serious" or "critical", naming the
page, the rule and the first elements at fault.

Every run writes a report, each page's violations counted by impact and then described,
to var/axe-report.txt (AXE_REPORT names another file); ``make axe`` runs this test and
shows it. Axe's rules are all on, as it ships them: none is switched off here.

The pages send a Content-Security-Policy that refuses inline scripts, and Playwright
adds axe as one; this test's browser context alone bypasses the policy (the app's is
unchanged, and tests/panel/test_csp_browser.py checks the pages work under it)."""

import os
from pathlib import Path

import pytest

from tests.panel.pages import build_showcase, visit_every_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
WIDTHS = (390, 1280)
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = {"critical", "serious"}
# How many of a violation's elements the report shows.
SHOWN = 3

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html})),
  }));
}"""


def merged(runs: dict[int, list[dict]]) -> list[dict]:
    """One page's violations at each width as one list: a rule once, with the elements
    at fault at any width and the widths it was found at (``widths``)."""
    rules: dict[str, dict] = {}
    for width, violations in runs.items():
        for v in violations:
            rule = rules.setdefault(v["id"], {**v, "nodes": [], "widths": []})
            rule["widths"].append(width)
            if IMPACTS.index(v["impact"]) < IMPACTS.index(rule["impact"]):
                rule["impact"] = v["impact"]
            known = {node["target"] for node in rule["nodes"]}
            rule["nodes"] += [node for node in v["nodes"] if node["target"] not in known]
    return list(rules.values())


def report_path() -> Path:
    return Path(os.environ.get("AXE_REPORT") or ROOT / "var" / "axe-report.txt")


def table(found: dict[str, list[dict]]) -> str:
    """Each page's violations by impact: rules broken, and in brackets their elements."""
    width = max(map(len, found)) + 2
    lines = [f"{'page':<{width}}" + "".join(f"{impact:>12}" for impact in IMPACTS)]
    totals = {impact: [0, 0] for impact in IMPACTS}
    for name, violations in found.items():
        cells = []
        for impact in IMPACTS:
            rules = [v for v in violations if v["impact"] == impact]
            count = (len(rules), sum(len(v["nodes"]) for v in rules))
            totals[impact] = [totals[impact][0] + count[0], totals[impact][1] + count[1]]
            cells.append(f"{count[0]} ({count[1]})" if count[0] else "-")
        lines.append(f"{name:<{width}}" + "".join(f"{cell:>12}" for cell in cells))
    cells = [f"{rules} ({elements})" for rules, elements in totals.values()]
    lines.append(f"{'all pages':<{width}}" + "".join(f"{cell:>12}" for cell in cells))
    return "\n".join(lines)


def described(found: dict[str, list[dict]], impacts=IMPACTS) -> str:
    """Each violation of ``impacts``: its page, rule, impact and help, then the first
    few elements at fault (a CSS selector and the element's HTML)."""
    lines = []
    for name, violations in found.items():
        for v in sorted(violations, key=lambda v: IMPACTS.index(v["impact"])):
            if v["impact"] not in impacts:
                continue
            at = "" if len(v["widths"]) == len(WIDTHS) else f" at {v['widths'][0]} px"
            lines.append(f"{name}: {v['id']} ({v['impact']}{at}): {v['help']}  <{v['helpUrl']}>")
            for node in v["nodes"][:SHOWN]:
                html = " ".join(node["html"].split())
                lines.append(f"    {node['target']}\n        {html[:200]}")
            if len(v["nodes"]) > SHOWN:
                lines.append(f"    … and {len(v['nodes']) - SHOWN} more")
    return "\n".join(lines)


def test_no_page_has_a_serious_or_critical_accessibility_violation(page_in, live_server, simulator):
    showcase = build_showcase(simulator)
    page = page_in("pl-PL", bypass_csp=True)
    found: dict[str, list[dict]] = {}
    for name in visit_every_page(page, live_server.url, showcase, WIDTHS[0]):
        page.add_script_tag(path=AXE)
        runs = {}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            runs[width] = page.evaluate(RUN_AXE)
        found[name] = merged(runs)

    report = report_path()
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        f"axe-core {AXE.parent.name.removeprefix('axe-core-')}, every panel page in Polish "
        f"at {' and '.join(map(str, WIDTHS))} px: rules broken (elements)\n\n"
        f"{table(found)}\n\n"
        f"{described(found) or 'No violations.'}\n"
    )
    failing = {n: [v for v in vs if v["impact"] in FAILING] for n, vs in found.items()}
    failing = {n: vs for n, vs in failing.items() if vs}
    assert not failing, (
        f"serious or critical violations on {len(failing)} page(s) "
        f"(all of them in {report}):\n{described(failing)}"
    )

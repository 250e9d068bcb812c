"""Inline SVG bar charts drawn on the server: no chart library, nothing for the browser
to run. Each chart comes with the same figures as a table, for screen readers and
for copying."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from lib import l10n

# Heights in pixels, positions across in percent of the width: the bars stretch with the
# page while the text keeps its size (a viewBox would shrink it to 4 px on a phone).
HEIGHT, PAD = 180, 24
TICK_EVERY = 5  # days between two dates under the bars, counted back from the last


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | int | Decimal]]],
    ticks: Sequence[str] | None = None,
) -> SafeString:
    """Grouped bars, one group per label; ``series`` is (name, CSS class, values);
    ``ticks``, the labels' short forms under the axis (default: their last 5 characters)."""
    ticks = ticks or [label[-5:] for label in labels]
    peak = max([float(v) for _, _, values in series for v in values] + [0.0])
    scale = (HEIGHT - 2 * PAD) / peak if peak else 0.0
    group = 100 / max(len(labels), 1)
    width = group / (len(series) + 1)
    shapes = []
    for i, label in enumerate(labels):
        for j, (name, css, values) in enumerate(series):
            value = float(values[i])
            height = value * scale
            x = i * group + (j + 0.5) * width
            y = HEIGHT - PAD - height
            shapes.append(
                f'<rect class="{css}" x="{x:.2f}%" y="{y:.1f}" width="{width:.2f}%" '
                f'height="{height:.1f}"><title>{escape(label)}: {escape(name)} '
                f"{escape(_figure(values[i]))}</title></rect>"
            )
    last = len(labels) - 1
    ticks = "".join(
        f'<text x="{100 if i == last else (i + 0.5) * group:.2f}%" y="{HEIGHT - 6}" '
        f'text-anchor="{"end" if i == last else "middle"}" class="tick">{escape(tick)}</text>'
        for i, tick in enumerate(ticks)
        if (last - i) % TICK_EVERY == 0
    )
    top = f'<text x="2" y="{PAD - 8}" class="tick">{escape(_figure(peak))}</text>'
    svg = (
        f'<svg class="chart" width="100%" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><line x1="0" y1="{HEIGHT - PAD}" x2="100%" '
        f'y2="{HEIGHT - PAD}" class="axis"/>{"".join(shapes)}{ticks}{top}</svg>'
    )
    legend = "".join(
        format_html('<span class="key {}">{}</span>', css, name) for name, css, _ in series
    )
    # Every text in it went through escape() above.
    html = f'<figure class="chart">{svg}<figcaption>{escape(title)} {legend}</figcaption></figure>'
    return mark_safe(html)  # noqa: S308


def _figure(value) -> str:
    """A bar's figure as the reader's language writes numbers (lib.l10n)."""
    if isinstance(value, Decimal):
        return l10n.number(value, 2)
    number = float(value)
    return l10n.number(value, 0) if number == int(number) else l10n.number(value, 2)

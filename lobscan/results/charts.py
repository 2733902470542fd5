"""The web (radar chart): pygal SVG, rendered on the server and inlined.

One thin line per respondent (or per role), a clearly thicker line for the group average and,
when there is one, a thick dashed line for the previous scan. pygal ignores a per-series stroke
width, so the widths are chart-scoped CSS rules; its tooltip script and inline config script are
removed, and its <style> carries the page's CSP nonce, so the Content-Security-Policy holds.
"""

from __future__ import annotations

import pygal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from lobscan.results.aggregation import Results

RESPONDENT_COLOURS = (
    "#8da0cb", "#a6d854", "#e78ac3", "#66c2a5", "#ffd92f", "#e5c494", "#b3b3b3", "#fc8d62",
    "#80b1d3", "#bebada", "#fdb462", "#b3de69", "#fccde5", "#ccebc5", "#bc80bd", "#ffed6f",
)
AVERAGE_COLOUR = "#0b2e5c"
PREVIOUS_COLOUR = "#c2410c"
# Above this many thin lines the legend (one entry per line) would push the web out of the
# picture, and a dot per line and axis only adds weight: pygal spends most of its time on them.
MANY_LINES = 40


def _short(title: str, number: int, limit: int = 22) -> str:
    text = f"{number}. {title}"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def radar(results: Results, *, mode: str = "respondents", hidden: frozenset[int] = frozenset(),
          nonce: str | None = None, width: int = 900, height: int = 680) -> str:
    """The chart as an SVG string. mode: 'respondents' (one line each, minus `hidden` ids) or
    'roles' (one line per role)."""
    q = results.questionnaire
    lines: list[tuple[str, list[float | None]]] = []
    if mode == "roles":
        from lobscan.scans.forms import ROLE_LABELS

        for role, scores in results.roles.items():
            lines.append((str(ROLE_LABELS.get(role, role)),
                          [scores.get(key) for key in results.section_keys]))
    else:
        for r in results.respondents:
            if r.id in hidden:
                continue
            lines.append((r.label, [r.scores[key] for key in results.section_keys]))

    many = len(lines) > MANY_LINES
    colours = [RESPONDENT_COLOURS[i % len(RESPONDENT_COLOURS)] for i in range(len(lines))]
    thick = [len(lines)]
    colours.append(AVERAGE_COLOUR)
    dashed = None
    if results.previous is not None:
        dashed = len(lines) + 1
        thick.append(dashed)
        colours.append(PREVIOUS_COLOUR)

    style = Style(
        background="#ffffff", plot_background="#ffffff", foreground="#1b1f24",
        foreground_strong="#1b1f24", foreground_subtle="#6b7280", colors=tuple(colours),
        font_family="system-ui, sans-serif", label_font_size=13, legend_font_size=13,
        major_label_font_size=13, opacity="1", opacity_hover="1", transition="0s",
    )
    chart = pygal.Radar(
        js=[], disable_xml_declaration=True, style=style, width=width, height=height,
        range=(q.scale_min, q.scale_max), fill=False, dots_size=2.5, show_legend=not many,
        legend_at_bottom=True, legend_at_bottom_columns=4, truncate_legend=28,
        x_label_rotation=0, truncate_label=-1, interpolate=None, stroke_style={"width": 1.5},
        print_values=False, show_y_guides=True, y_labels=list(q.scale),
    )
    chart.x_labels = [_short(s.title, i) for i, s in enumerate(results.sections, start=1)]
    for title, values in lines:
        chart.add(title, values, allow_interruptions=True, show_dots=not many)
    chart.add(_("Groepsgemiddelde"), [s.group_mean for s in results.sections],
              allow_interruptions=True, dots_size=4)
    if results.previous is not None:
        chart.add(_("Vorige scan: %(name)s", name=results.previous.name),
                  [s.previous_mean for s in results.sections], allow_interruptions=True)

    scope = f"#chart-{chart.uuid}"
    chart.config.css.append(f"inline:{scope} .reactive{{stroke-width:1.5}}")
    for index in thick:
        chart.config.css.append(f"inline:{scope} .serie-{index} .reactive{{stroke-width:5}}")
    if dashed is not None:
        chart.config.css.append(
            f"inline:{scope} .serie-{dashed} .reactive{{stroke-dasharray:10 6}}")

    def _clean(root):
        # No scripts and no tooltip layer (its inline style would break the CSP).
        for parent in root.iter():
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag.endswith("script") or "tooltip" in (child.get("class") or "").split():
                    parent.remove(child)
                elif tag.endswith("style") and nonce:
                    child.set("nonce", nonce)
        root.set("role", "img")
        root.set("aria-label", _("Web met de scores per onderdeel"))
        root.set("class", (root.get("class") or "") + " radar")
        return root

    chart.add_xml_filter(_clean)
    return chart.render(is_unicode=True)


def radar_markup(results: Results, **options) -> Markup:
    return Markup(radar(results, **options))


def radar_png(results: Results, **options) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=radar(results, **options).encode("utf-8"),
                            output_width=1800)

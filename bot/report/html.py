"""The steering group's report as one self-contained HTML page with inline SVG charts (no scripts, no fetches)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.domain.danish import format_date, format_time
from bot.domain.readiness import AIM_NAMES_DA, BOXES, PERFORMANCE_NAMES_DA, PERFORMANCES
from bot.report.figures import TRACK_NAMES_DA, CohortReport, num, pct

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
GOOD, WARN, BAD = "#1b7f3b", "#c25e00", "#b3261e"
INK, MUTED, TRACK_BG, ACCENT = "#1a1a1a", "#555555", "#e6e6e6", "#1f4e9c"
# The answer colours work for the common colour-vision deficiencies and in greyscale.
ANSWER_COLOURS = {"ja": "#1f4e9c", "delvist": "#7fa7dc", "nej": "#d9822b"}
ANSWER_NAMES = {"ja": "Ja", "delvist": "Delvist", "nej": "Nej"}
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif\""

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _svg(width: int, height: int, title: str, body: Iterable[str]) -> Markup:
    """An inline SVG element with an accessible title."""
    content = "".join(body)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="chart" {FONT}><title>{escape(title)}</title>{content}</svg>'
    )


def _text(x: float, y: float, value: str, *, size: int = 20, anchor: str = "start", weight: str = "normal", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
        f'fill="{fill}">{escape(value)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}" {extra}/>'


def target_bar(value: float | None, target: float, title: str) -> Markup:
    """A 0-100 % bar with the value filled and the target marked."""
    width, left, bar_w, height = 760, 10, 740, 112
    fill = MUTED if value is None else (GOOD if value >= target else WARN)
    tx = left + bar_w * target
    parts = [
        _text(min(tx, left + bar_w - 60), 22, f"mål {pct(target)}", size=20, anchor="middle", weight="bold"),
        _rect(left, 34, bar_w, 40, TRACK_BG, 'rx="6"'),
        _rect(left, 34, bar_w * (value or 0), 40, fill, 'rx="6" class="value"'),
        f'<line x1="{tx:.1f}" y1="28" x2="{tx:.1f}" y2="80" stroke="{INK}" stroke-width="4"/>',
        _text(left, 104, "0 %", size=18, fill=MUTED),
        _text(left + bar_w, 104, "100 %", size=18, anchor="end", fill=MUTED),
    ]
    return _svg(width, height, title, parts)


def hbars(rows: Sequence[tuple[str, float, str]], title: str, *, scale: float = 1.0, colour: str = ACCENT, value_w: int = 110) -> Markup:
    """Horizontal bars: (label, value 0..scale, value text) per row."""
    label_w, bar_w, row_h = 330, 330, 44
    height = max(row_h * len(rows), row_h) + 8
    parts = []
    for i, (label, value, shown) in enumerate(rows):
        y = 8 + i * row_h
        parts.append(_text(0, y + 27, label[:34] + ("…" if len(label) > 34 else ""), size=20))
        parts.append(_rect(label_w, y + 6, bar_w, 28, TRACK_BG, 'rx="4"'))
        share = 0 if scale <= 0 else min(max(value / scale, 0), 1)
        parts.append(_rect(label_w, y + 6, bar_w * share, 28, colour, 'rx="4" class="value"'))
        parts.append(_text(label_w + bar_w + 12, y + 28, shown, size=20, weight="bold"))
    if not rows:
        parts.append(_text(0, 30, "Ingen data endnu", size=20, fill=MUTED))
    return _svg(label_w + bar_w + value_w, height, title, parts)


def answers_chart(rows: Sequence[tuple[str, dict[str, int]]], title: str) -> Markup:
    """Stacked ja / delvist / nej per row, as shares of the row's answers, with a legend."""
    label_w, bar_w, row_h = 330, 400, 44
    height = 50 + max(len(rows), 1) * row_h
    parts = []
    x = 0
    for key, colour in ANSWER_COLOURS.items():
        parts.append(_rect(x, 8, 22, 22, colour))
        parts.append(_text(x + 30, 27, ANSWER_NAMES[key], size=20))
        x += 140
    for i, (label, counts) in enumerate(rows):
        y = 46 + i * row_h
        total = sum(counts.values())
        parts.append(_text(0, y + 27, label[:34] + ("…" if len(label) > 34 else ""), size=20))
        parts.append(_rect(label_w, y + 6, bar_w, 28, TRACK_BG, 'rx="4"'))
        offset = 0.0
        for key, colour in ANSWER_COLOURS.items():
            w = bar_w * counts.get(key, 0) / total if total else 0
            parts.append(_rect(label_w + offset, y + 6, w, 28, colour, 'class="value"'))
            offset += w
        parts.append(_text(label_w + bar_w + 12, y + 28, f"n = {total}", size=20, fill=MUTED))
    if not rows:
        parts.append(_text(0, 76, "Ingen svar endnu", size=20, fill=MUTED))
    return _svg(label_w + bar_w + 110, height, title, parts)


def readiness_grid(report: CohortReport) -> Markup:
    """The programme's 2 x 3 model with the number of talents in each box (vertical / horizontal)."""
    left, top, cell_w, cell_h = 250, 60, 270, 120
    rows = ("Opgaver fra næste niveau / avancerede opgaver på eget niveau", "Forholdsvist simple opgaver på eget niveau")
    peak = max([report.readiness_box(b) for b in BOXES] + [1])
    parts = []
    for c, performance in enumerate(PERFORMANCES):
        first, _, rest = PERFORMANCE_NAMES_DA[performance].partition(" præstation")
        cx = left + c * cell_w + cell_w / 2
        parts.append(_text(cx, 22, first, size=18, anchor="middle", weight="bold"))
        parts.append(_text(cx, 44, ("præstation" + rest).strip(), size=16, anchor="middle"))
    for r, label in enumerate(rows):
        words, line, lines = label.split(), "", []
        for word in words:
            if len(line) + len(word) > 22:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        for j, part in enumerate(lines):
            parts.append(_text(0, top + r * cell_h + 30 + j * 22, part, size=17))
        for c in range(3):
            box = r * 3 + c + 1
            n = report.readiness_box(box)
            shade = 0.12 + 0.78 * n / peak
            x, y = left + c * cell_w, top + r * cell_h
            parts.append(_rect(x + 4, y + 4, cell_w - 8, cell_h - 8, ACCENT, f'fill-opacity="{shade:.2f}" rx="8" class="box"'))
            text_fill = "#ffffff" if shade > 0.5 else INK
            parts.append(_text(x + 16, y + 32, f"Boks {box}", size=18, weight="bold", fill=text_fill))
            parts.append(_text(x + cell_w / 2, y + 78, str(n), size=40, anchor="middle", weight="bold", fill=text_fill))
            if box <= 3:
                split = f"V {report.readiness.get(('vertical', box), 0)} · H {report.readiness.get(('horizontal', box), 0)}"
                parts.append(_text(x + cell_w / 2, y + 104, split, size=16, anchor="middle", fill=text_fill))
    return _svg(left + 3 * cell_w + 10, top + 2 * cell_h + 10, "Parathed: talenter pr. boks", parts)


def meetings_chart(report: CohortReport) -> Markup:
    """Per kind of meeting: held against due so far, with the planned total as the scale."""
    label_w, bar_w, row_h = 330, 400, 70
    parts = [
        _rect(0, 8, 22, 22, ACCENT),
        _text(30, 27, "Holdt", size=20),
        _rect(140, 8, 22, 22, "#9fb6da"),
        _text(170, 27, "Skulle være holdt nu", size=20),
        _rect(400, 8, 22, 22, TRACK_BG),
        _text(430, 27, "Planlagt i alt", size=20),
    ]
    for i, m in enumerate(report.meetings):
        y = 46 + i * row_h
        scale = m.planned or 1
        parts.append(_text(0, y + 30, m.name[:34], size=20))
        parts.append(_rect(label_w, y + 8, bar_w, 36, TRACK_BG, 'rx="4"'))
        parts.append(_rect(label_w, y + 8, bar_w * m.due / scale, 36, "#9fb6da", 'rx="4"'))
        parts.append(_rect(label_w, y + 8, bar_w * m.held / scale, 36, ACCENT, 'rx="4" class="value"'))
        parts.append(_text(label_w + bar_w + 12, y + 32, f"{m.held} / {m.due} ({m.planned})", size=20, weight="bold"))
    return _svg(label_w + bar_w + 150, 56 + len(report.meetings) * row_h, "Møder holdt i forhold til planen", parts)


def time_chart(report: CohortReport) -> Markup:
    """Average time per role as a share of its budget, budget line at 100 %."""
    label_w, bar_w, row_h = 330, 400, 56
    rows = report.time
    parts = []
    for i, t in enumerate(rows):
        y = 10 + i * row_h
        share = t.average / t.budget if t.budget else 0
        parts.append(_text(0, y + 30, f"{t.name} ({t.people})", size=20))
        parts.append(_rect(label_w, y + 8, bar_w, 32, TRACK_BG, 'rx="4"'))
        parts.append(_rect(label_w, y + 8, bar_w * min(share, 1.25) / 1.25, 32, ACCENT, 'rx="4" class="value"'))
        parts.append(_text(label_w + bar_w + 12, y + 32, f"{num(t.average)} / {num(t.budget, 2)} {t.unit}", size=20, weight="bold"))
    bx = label_w + bar_w / 1.25
    parts.append(
        f'<line x1="{bx:.1f}" y1="2" x2="{bx:.1f}" y2="{10 + len(rows) * row_h:.1f}" stroke="{INK}" stroke-width="3" stroke-dasharray="6 4"/>'
    )
    parts.append(_text(bx, 24 + len(rows) * row_h, "budget", size=18, anchor="middle", weight="bold"))
    return _svg(label_w + bar_w + 230, 34 + len(rows) * row_h, "Tidsforbrug i forhold til budgettet", parts)


def render_html(report: CohortReport) -> str:
    """The whole page."""
    tz = ZoneInfo(report.timezone)
    local = report.generated_at.astimezone(tz)
    rated = [r for r in report.ratings if r.mean_rating is not None]
    talent_time = next((t for t in report.time if t.role == "talent"), None)
    charts = {
        "completion": target_bar(
            report.completion_rate if report.started else None, report.completion_target, "Gennemførelse i forhold til målet"
        ),
        "expectations": target_bar(report.expectations_rate, report.expectations_target, "Forventninger indfriet i forhold til målet"),
        "ratings": hbars(
            [(r.name, r.mean_rating or 0, num(r.mean_rating)) for r in rated], "Gennemsnitlig vurdering pr. aktivitet (1–5)", scale=5
        ),
        "answers": answers_chart(
            [(r.name, r.expectations) for r in report.ratings if r.answers], "Levede aktiviteten op til forventningerne?"
        ),
        "preparation": [
            (
                p,
                hbars(
                    [
                        (label, opened / p.audience if p.audience else 0, f"{pct(opened / p.audience if p.audience else None)}")
                        for label, opened in p.steps
                    ],
                    f"{p.name}: andel der har åbnet hvert trin af forberedelsen",
                    scale=1,
                ),
            )
            for p in report.preparation
        ],
        "meetings": meetings_chart(report),
        "readiness": readiness_grid(report),
        "time": time_chart(report),
        "tracks": hbars(
            [
                (
                    TRACK_NAMES_DA[k],
                    v / talent_time.track_budget[k] if talent_time.track_budget.get(k) else 0,
                    f"{num(v)} / {num(talent_time.track_budget.get(k), 2)} dage",
                )
                for k, v in talent_time.tracks.items()
            ],
            "Talentets tid pr. spor som andel af budgettet",
            scale=1,
            value_w=240,
        )
        if talent_time
        else Markup(""),
    }
    return _env.get_template("report.html.j2").render(
        r=report,
        charts=charts,
        generated=f"{format_date(local.date())} {format_time(local)}",
        pct=pct,
        num=num,
        aim_names=AIM_NAMES_DA,
        boxes=BOXES,
        completion_label="Gennemført" if report.finished else "Gennemført eller på vej",
    )

"""The facility feedback report as a PDF: page 1 is the headline summary (one plain sentence per
measure), then the figures, tables and charts as images, each label from the definition.

Charts are the dashboard's own Vega-Lite specs rendered to PNG by vl-convert (no browser, no
network). Text uses the PDF core fonts, so it is kept to Latin-1 (see :func:`_text`). Table cells
wrap rather than clip.
"""

from __future__ import annotations

import io
from typing import Any

import vl_convert as vlc
from fpdf import FPDF
from fpdf.fonts import FontFace

from printreg.dashboards.charts import dashboard_charts, stratum_words
from printreg.dashboards.schemas import (
    ContinuousComparison,
    Distribution,
    FacilityDashboard,
    OwnDistribution,
    ProportionComparison,
    ProportionFigure,
    Suppressed,
)

_REPLACEMENTS = {
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus
    "\u2265": ">=",
    "\u2264": "<=",
    "\u03c4": "tau",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00b7": "-",  # middle dot
}


def _text(value: object) -> str:
    """Return the value as Latin-1 text for the PDF core fonts."""
    text = str(value)
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(_text(title))
        self.set_creator("printreg")

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, _text(self.report_title), align="R")
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, f"page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.set_font("Helvetica", "B", 13)
        self.ln(2)
        self.cell(0, 8, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font("Helvetica", "", size)
        self.multi_cell(0, size / 2, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def grid(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """Write a table whose cells wrap (never clip) within the given widths (mm)."""
        self.set_font("Helvetica", "", 8)
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align="LEFT",
            line_height=4.5,
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD"),
        ) as table:
            for line in [header, *rows]:
                row = table.row()
                for text in line:
                    row.cell(_text(text))
        self.ln(2)

    def chart(self, spec: dict[str, Any]) -> None:
        png = vlc.vegalite_to_png(spec, scale=1.5)
        width = self.epw
        self.image(io.BytesIO(png), w=width)
        self.ln(3)


def _status(figure: Suppressed) -> str:
    return str(figure.status)


def _continuous_rows(dashboard: FacilityDashboard) -> list[list[str]]:
    rows = []
    for item in dashboard.measures:
        if not isinstance(item, ContinuousComparison):
            continue
        own, reg, placement = item.facility, item.registry, item.placement
        mine = (
            f"{_fmt(own.median)} ({_fmt(own.q1)}-{_fmt(own.q3)})"
            if isinstance(own, OwnDistribution)
            else _status(own)
        )
        registry = (
            f"{_fmt(reg.p25)} / {_fmt(reg.p50)} / {_fmt(reg.p75)}"
            if isinstance(reg, Distribution) and reg.p50 is not None
            else (_status(reg) if isinstance(reg, Suppressed) else "-")
        )
        label = f"{item.label} ({item.unit})" if item.unit else item.label
        rows.append(
            [
                label,
                str(own.n or 0),
                mine,
                registry,
                _fmt(placement.percentile_rank, 0),
                "-" if placement.quartile is None else str(placement.quartile),
            ]
        )
    return rows


def _share(figure: ProportionFigure | Suppressed) -> str:
    if isinstance(figure, Suppressed):
        return _status(figure)
    return _pct(figure.p)


def _proportion_rows(dashboard: FacilityDashboard) -> list[list[str]]:
    return [
        [
            item.label,
            str(item.facility.n or 0),
            _share(item.facility),
            _share(item.registry),
            item.placement.flag or "-",
        ]
        for item in dashboard.measures
        if isinstance(item, ProportionComparison)
    ]


def _summary(pdf: _Report, dashboard: FacilityDashboard) -> None:
    """Write page 1: who and what the report covers, then one sentence per measure."""
    facility = dashboard.facility
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0, 8, _text(f"Facility feedback report: {facility.name}"), new_x="LMARGIN", new_y="NEXT"
    )
    chosen = "; ".join(f"{f.label}: {f.value}" for f in dashboard.filters) or "all cases"
    if dashboard.period:
        chosen += f"; from {dashboard.period.get('from') or 'the start'} to "
        chosen += dashboard.period.get("to") or "today"
    peer = dashboard.peer_group
    pdf.paragraph(
        f"Facility code {facility.code} - registry {dashboard.registry} - generated "
        f"{dashboard.generated_at} - cases: {chosen}.\n"
        f"Reportable cases (complete or locked): {dashboard.cases}. "
        f"Registry: {dashboard.registry_facilities} facilities. Peer group "
        f"({peer.description or 'no profile'}): {peer.facilities} facilities. A facility's own "
        f"figure is shown only with at least {dashboard.min_cases} values."
    )
    pdf.heading("At a glance")
    compared = [h for h in dashboard.headlines if h.verdict is not None]
    for headline in compared:
        pdf.paragraph(f"- {headline.sentence}", size=10)
    if not compared:
        pdf.paragraph("No measure can be compared with the registry yet.", size=10)
    uncompared = [h for h in dashboard.headlines if h.verdict is None]
    if uncompared:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Without a comparison, and why", new_x="LMARGIN", new_y="NEXT")
        for headline in uncompared:
            pdf.paragraph(f"- {headline.sentence}", size=9)
    pdf.paragraph(
        "Percentages of facilities compare this facility's median with the medians of the "
        "registry's facilities that have enough cases. Details, methods and charts follow."
    )


def render_report(dashboard: FacilityDashboard) -> bytes:
    """Return the facility feedback report of a dashboard as PDF bytes: the headline summary on
    page 1, then the tables and the charts the registry's analytics spec chooses."""
    facility = dashboard.facility
    title = f"{facility.name} ({facility.code}) - {dashboard.registry} feedback report"
    pdf = _Report(title)
    pdf.add_page()
    _summary(pdf, dashboard)
    pdf.add_page()
    pdf.heading("Continuous measures")
    pdf.paragraph(
        "This facility's median (IQR) beside the 25th/50th/75th percentiles of facility medians "
        "in the registry; percentile rank (mid-rank) and quartile. Quantiles: "
        f"{dashboard.methods.get('quantiles', '')}."
    )
    pdf.grid(
        ["measure", "n", "facility median (IQR)", "registry P25 / P50 / P75", "rank", "Q"],
        _continuous_rows(dashboard),
        [62, 12, 38, 48, 14, 8],
    )
    pdf.heading("Proportions")
    if dashboard.disclosure:
        pdf.paragraph(
            f"This facility's figures are exact. Registry figures: {dashboard.disclosure}; "
            "a registry proportion is withheld when it would give away a small count of the "
            "other facilities."
        )
    pdf.grid(
        ["measure", "n", "facility", "registry", "funnel plot"],
        _proportion_rows(dashboard),
        [70, 14, 24, 34, 40],
    )
    value = dashboard.value
    pdf.heading("Evidence of value")
    pdf.paragraph(value.method + ". Cost " + dashboard.cost_assumption + ".")
    value_rows = []
    for item in value.pooled:
        pooled = item.pooled
        if not pooled:
            continue
        value_rows.append(
            [
                stratum_words(item),
                "-" if item.k is None else str(item.k),
                f"{_fmt(pooled.estimate)} ({_fmt(pooled.ci_low)} to {_fmt(pooled.ci_high)})",
                f"${_fmt(item.dollars.default if item.dollars else None, 0)}",
                _fmt(item.facility_estimate),
            ]
        )
    pdf.grid(
        ["stratum", "k", "minutes saved (95% CI)", "$ per case", "this facility (EB)"],
        value_rows,
        [60, 10, 52, 26, 34],
    )
    for study in value.external.studies:
        pdf.paragraph(
            f"External (published): {study['note']}: {study['estimate']} "
            f"{study['unit']} over {study['studies']} studies. {study['citation']}"
        )
    charts = dashboard_charts(dashboard)
    # the registry's analytics spec chooses the report's charts; without a choice, every one
    for name in dashboard.report or list(charts):
        if name in charts:
            pdf.add_page()
            pdf.chart(charts[name])
    return bytes(pdf.output())

"""The facility feedback report as a PDF: the dashboard's figures, tables and charts as images.

Charts are the dashboard's own Vega-Lite specs rendered to PNG by vl-convert (no browser, no
network). Text uses the PDF core fonts, so it is kept to Latin-1 (see :func:`_text`).
"""

from __future__ import annotations

import io
from typing import Any

import vl_convert as vlc
from fpdf import FPDF

from printreg.dashboards.charts import dashboard_charts

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
}


def _text(value: object) -> str:
    """Return the value as Latin-1 text for the PDF core fonts."""
    text = str(value)
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _pct(value: Any) -> str:
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

    def paragraph(self, text: str) -> None:
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 4.5, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def grid(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("Helvetica", "B", 8)
        for text, width in zip(header, widths, strict=True):
            self.cell(width, 6, _text(text), border="B")
        self.ln(6)
        self.set_font("Helvetica", "", 8)
        for row in rows:
            for text, width in zip(row, widths, strict=True):
                self.cell(width, 5, self._fit(_text(text), width - 1.5))
            self.ln(5)
        self.ln(2)

    def _fit(self, text: str, width: float) -> str:
        """Return the text shortened with '...' until it fits the width (mm)."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text + "..."

    def chart(self, spec: dict[str, Any]) -> None:
        png = vlc.vegalite_to_png(spec, scale=1.5)
        width = self.epw
        self.image(io.BytesIO(png), w=width)
        self.ln(3)


def _continuous_rows(dashboard: dict[str, Any]) -> list[list[str]]:
    rows = []
    for item in dashboard["measures"]:
        if item["kind"] != "continuous":
            continue
        own, reg, placement = item["facility"], item["registry"], item["placement"]
        mine = (
            f"{_fmt(own.get('median'))} ({_fmt(own.get('q1'))}-{_fmt(own.get('q3'))})"
            if own.get("median") is not None
            else own.get("status", "-")
        )
        registry = (
            f"{_fmt(reg.get('p25'))} / {_fmt(reg.get('p50'))} / {_fmt(reg.get('p75'))}"
            if reg.get("p50") is not None
            else reg.get("status", "-")
        )
        label = f"{item['label']} ({item['unit']})" if item["unit"] else item["label"]
        rows.append(
            [
                label,
                str(own.get("n", 0)),
                mine,
                registry,
                _fmt(placement.get("percentile_rank"), 0),
                _fmt(placement.get("quartile")),
            ]
        )
    return rows


def _proportion_rows(dashboard: dict[str, Any]) -> list[list[str]]:
    rows = []
    for item in dashboard["measures"]:
        if item["kind"] != "proportion":
            continue
        own, reg = item["facility"], item["registry"]
        mine = _pct(own.get("p")) if own.get("p") is not None else own.get("status", "-")
        rows.append(
            [
                item["label"],
                str(own.get("n", 0)),
                mine,
                _pct(reg.get("p")) if reg.get("p") is not None else reg.get("status", "-"),
                item["placement"].get("flag", "-"),
            ]
        )
    return rows


def render_report(dashboard: dict[str, Any]) -> bytes:
    """Return the facility feedback report of a dashboard as PDF bytes."""
    facility = dashboard["facility"]
    title = f"{facility['name']} ({facility['code']}) - {dashboard['registry']} feedback report"
    pdf = _Report(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0, 8, _text(f"Facility feedback report: {facility['name']}"), new_x="LMARGIN", new_y="NEXT"
    )
    stratum = ", ".join(f"{k} = {v}" for k, v in dashboard["stratum"].items()) or "all cases"
    peer = dashboard["peer_group"]
    pdf.paragraph(
        f"Facility code {facility['code']} - registry {dashboard['registry']} - "
        f"generated {dashboard['generated_at']} - stratum: {stratum}.\n"
        f"Reportable cases (complete or locked): {dashboard['cases']}. "
        f"Registry: {dashboard['registry_facilities']} facilities. Peer group "
        f"({', '.join(f'{k} {v}' for k, v in peer['dimensions'].items())}): "
        f"{peer['facilities']} facilities. A facility's own figure is shown only with at least "
        f"{dashboard['min_cases']} values."
    )
    pdf.heading("Continuous measures")
    pdf.paragraph(
        "This facility's median (IQR) beside the 25th/50th/75th percentiles of facility medians "
        f"in the registry; percentile rank (mid-rank) and quartile. {dashboard['methods']['quantiles']}."
    )
    pdf.grid(
        ["measure", "n", "facility median (IQR)", "registry P25 / P50 / P75", "rank", "Q"],
        _continuous_rows(dashboard),
        [62, 12, 38, 48, 14, 8],
    )
    pdf.heading("Proportions")
    if dashboard.get("disclosure"):
        pdf.paragraph(
            f"This facility's figures are exact. Registry figures: {dashboard['disclosure']}; "
            "a registry proportion is withheld when it would give away a small count of the "
            "other facilities."
        )
    pdf.grid(
        ["measure", "n", "facility", "registry", "funnel plot"],
        _proportion_rows(dashboard),
        [70, 14, 24, 24, 50],
    )
    pdf.heading("Evidence of value")
    pdf.paragraph(dashboard["value"]["method"] + ". Cost " + dashboard["cost_assumption"] + ".")
    value_rows = []
    for item in dashboard["value"]["pooled"]:
        pooled = item.get("pooled")
        if not pooled:
            continue
        dollars = item.get("dollars") or {}
        value_rows.append(
            [
                f"{item['separate']} - {item['by']}",
                str(item["k"]),
                "{} ({} to {})".format(
                    _fmt(pooled["estimate"]), _fmt(pooled["ci_low"]), _fmt(pooled["ci_high"])
                ),
                f"${_fmt(dollars.get('default'), 0)}",
                _fmt(item.get("facility_estimate")),
            ]
        )
    pdf.grid(
        ["stratum", "k", "minutes saved (95% CI)", "$ per case", "this facility (EB)"],
        value_rows,
        [60, 10, 52, 26, 34],
    )
    for study in dashboard["value"]["external"].get("studies", []):
        pdf.paragraph(
            f"External (published): {study['note']}: {study['estimate']} "
            f"{study['unit']} over {study['studies']} studies. {study['citation']}"
        )
    charts = dashboard_charts(dashboard)
    # the registry's analytics spec chooses the report's charts; without a choice, every one
    for name in dashboard.get("report") or list(charts):
        if name in charts:
            pdf.add_page()
            pdf.chart(charts[name])
    return bytes(pdf.output())

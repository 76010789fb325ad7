"""A report's PDF body, as HTML for reports.pdf, from its snapshot alone.

The snapshot (``reports.building``) holds codes and ISO strings; this module turns them into what
the page prints — Chinese labels, "2026-06-03 10:15", "¥1,234.56", charts — and reads nothing from
the database, so that a signed-off report renders the same years later. The PDF is a Chinese
document whatever the reader's language: it is rendered under ``zh-hans``, and its fixed words
(headings, labels of the codes) are written here and in the templates in Chinese. What differs
by kind (its title, sections and narrative headings) comes from its module in ``reports.kinds``.
"""

from collections import Counter
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation

from contracts import obligations
from contracts.worktime import CHINA_TZ
from reports import charts, kinds

TEMPLATE = "reports/pdf/report.html"
SECTION = "reports/pdf/sections/{}.html"

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 23 → 二十三: section numbers (一、二、…)."""
    tens, ones = divmod(n, 10)
    if not tens:
        return DIGITS[ones]
    return f"{DIGITS[tens] if tens > 1 else ''}十{DIGITS[ones] if ones else ''}"


SEVERITY = {"emergency": "紧急", "severe": "严重", "general": "一般"}
INCIDENT_STATUS = {
    "new": "新报告",
    "acknowledged": "已响应",
    "on_site": "已到场",
    "waiting_client": "等待甲方",
    "waiting_other_unit": "等待其他单位",
    "waiting_finance": "等待财务部门",
    "resolved": "已解决",
    "closed": "已关闭",
}
INCIDENT_KIND = {
    "hardware": "硬件",
    "software": "软件",
    "network": "网络",
    "data": "数据",
    "security": "安全",
    "consultation": "咨询",
    "other": "其他",
}
CLOCK = {"response": "响应", "arrival": "到场", "resolution": "解决"}
SLA_RESULT = {"met": "达标", "breached": "超时", "pending": "处理中", "none": "无时限要求"}
WORK_CATEGORY = {
    "inspection": "巡检",
    "fault": "故障处理",
    "data": "数据工作",
    "change": "变更",
    "support": "用户支持",
    "security": "安全",
    "other": "其他",
}
SHIFT = {"5x8": "5×8", "7x8": "7×8", "7x24": "7×24"}
STAFF_ROLE = {"project_manager": "项目经理", "technical_lead": "技术负责人", "engineer": "工程师"}
BREACH_SOURCE = {
    "incident": "故障",
    "inspection": "巡检",
    "report": "报告",
    "staffing": "人员",
    "manual": "人工登记",
}
CHECK_STATUS = {"ok": "正常", "failed": "未通过", "timeout": "超时", "error": "无法判断"}
PARTY = {"vendor": "乙方", "client": "甲方"}


def _label(labels: dict, code) -> str:
    # A code this version does not know (a snapshot from a later one) prints as it is.
    return labels.get(code, code or "")


def _kind_label(code: str | None) -> str:
    # The registry's Chinese words, whatever the language of the request that renders the PDF.
    kind = obligations.get(code or "")
    return kind.zh if kind is not None else (code or "")


def _when(iso: str | None) -> str:
    """ "2026-06-03T10:15:00+08:00" → "2026-06-03 10:15" (stored in Beijing time already)."""
    return f"{iso[:10]} {iso[11:16]}" if iso else ""


def _span(reported: str | None, resolved: str | None) -> str:
    """ "2026-06-03 10:15 → 12:40": the end's date only when it differs, its year only when that does."""
    start = _when(reported)
    if not resolved:
        return f"{start} → 未解决"
    end = _when(resolved)
    if end[:10] == start[:10]:
        end = end[11:]
    elif end[:4] == start[:4]:
        end = end[5:]
    return f"{start} → {end}"


def _yuan(amount: str | None) -> str:
    return f"¥{Decimal(amount or 0):,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


# --- The page's view of the snapshot --------------------------------------------------------------


def _incident(row: dict) -> dict:
    return {
        **row,
        "severity_label": _label(SEVERITY, row.get("severity")),
        "status_label": _label(INCIDENT_STATUS, row.get("status")),
        "kind_label": _label(INCIDENT_KIND, row.get("kind")),
        "sla_label": _label(SLA_RESULT, row.get("sla")),
        "breached_label": "、".join(_label(CLOCK, clock) for clock in row.get("breached_clocks", [])),
        "reported": _when(row.get("reported_at")),
        "resolved": _when(row.get("resolved_at")),
        "span": _span(row.get("reported_at"), row.get("resolved_at")),
    }


# An incident list longer than this prints month by month, each month from a new page under its
# own heading and bookmark: a reader finds a month in a year's 180 pages by the outline, and the
# months after a break can be laid out apart (reports.parts). About eight pages of rows.
MONTHS_FROM_ROWS = 300


def _by_month(rows: list[dict]) -> list[dict]:
    """The rows of a long incident list (in the order reported) with the heading of each month
    on its first row: ``month`` (its label and count) and ``new_page`` (every month but the first)."""
    if len(rows) <= MONTHS_FROM_ROWS:
        return rows
    months = Counter(row["reported"][:7] for row in rows)
    previous = None
    for row in rows:
        month = row["reported"][:7]  # "2026-06"
        if month != previous:
            label = f"{month[:4]} 年 {int(month[5:])} 月" if month else "未记录报告时间"
            row["month"] = {"label": label, "count": months[month]}
            row["new_page"] = previous is not None
        previous = month
    return rows


def _view(data: dict) -> dict:
    """The snapshot with what the templates print next to its codes, times and amounts."""
    view = dict(data)
    incidents = dict(data.get("incidents", {}))
    incidents["severity_rows"] = [
        (SEVERITY[s], incidents.get("by_severity", {}).get(s, 0)) for s in ("emergency", "severe", "general")
    ]
    incidents["list"] = _by_month([_incident(row) for row in incidents.get("list", [])])
    incidents["completion"] = _pct(incidents.get("completion_percent"))
    view["incidents"] = incidents

    sla = dict(data.get("sla", {}))
    sla["attainment"] = _pct(sla.get("attainment_percent"))
    sla["clock_rows"] = [
        {"label": CLOCK[clock], **figures, "attainment": _pct(figures.get("attainment_percent"))}
        for clock, figures in sla.get("by_clock", {}).items()
        if clock in CLOCK
    ]
    view["sla"] = sla

    inspections = dict(data.get("inspections", {}))
    inspections["completion"] = _pct(inspections.get("completion_percent"))
    view["inspections"] = inspections
    view["inspection_days"] = [
        {**day, "completion": _pct(day.get("completion_percent"))} for day in data.get("inspection_days", [])
    ]

    tasks = dict(data.get("tasks", {}))
    tasks["work_log_rows"] = [(_label(WORK_CATEGORY, c), n) for c, n in tasks.get("work_log", {}).items()]
    view["tasks"] = tasks
    view["work_log"] = [
        {**e, "category_label": _label(WORK_CATEGORY, e["category"])} for e in data.get("work_log", [])
    ]

    view["abnormal_items"] = [{**a, "when": _when(a["at"])} for a in data.get("abnormal_items", [])]
    view["failed_checks"] = [
        {**c, "when": _when(c["at"]), "status_label": _label(CHECK_STATUS, c["status"])}
        for c in data.get("failed_checks", [])
    ]

    if "attendance" in data:
        attendance = dict(data["attendance"])
        attendance["posts"] = [{**p, "shift_label": _label(SHIFT, p["shift"])} for p in attendance["posts"]]
        view["attendance"] = attendance
    if "staff" in data:
        staff = dict(data["staff"])
        staff["posts"] = [
            {
                **post,
                "shift_label": _label(SHIFT, post["shift"]),
                "people": [{**p, "role_label": _label(STAFF_ROLE, p["role"])} for p in post["people"]],
            }
            for post in staff["posts"]
        ]
        staff["role_rows"] = [(_label(STAFF_ROLE, r), n) for r, n in staff.get("by_role", {}).items()]
        staff["replacements"] = [
            {**r, "role_label": _label(STAFF_ROLE, r["role"])} for r in staff["replacements"]
        ]
        view["staff"] = staff

    breaches = dict(data.get("breaches", {}))
    breaches["lines"] = [
        {
            **line,
            "when": _when(line["occurred_at"]),
            "source_label": _label(BREACH_SOURCE, line["source"]),
            "kind_label": _kind_label(line["kind"]),
        }
        for line in breaches.get("lines", [])
    ]
    breaches["unpriced"] = [{**u, "kind_label": _kind_label(u["kind"])} for u in breaches.get("unpriced", [])]
    breaches["clauses"] = [
        {**clause, "party_label": _label(PARTY, clause["party"]), "amount_yuan": _yuan(clause["amount"])}
        for clause in breaches.get("clauses", [])
    ]
    breaches["penalty_yuan"] = _yuan(breaches.get("penalty_total"))
    breaches["client_yuan"] = _yuan(breaches.get("client_total"))
    view["breaches"] = breaches

    if "series" in data:
        series = data["series"]
        view["series_rows"] = [
            {
                "label": label,
                "incidents": series["incidents"][i],
                "breached": series["breached"][i],
                "sla": _pct(series["sla_percent"][i]),
                "inspections_due": series["inspections_due"][i],
                "inspection": _pct(series["inspection_percent"][i]),
                "abnormal": series["abnormal"][i],
                "work_log": series["work_log"][i],
            }
            for i, label in enumerate(series["labels"])
        ]
    view["contract_total"] = _yuan(data.get("contract", {}).get("total"))
    view["built"] = _when(data.get("built_at"))
    return view


def _charts(data: dict) -> dict:
    incidents, sla, inspections = data.get("incidents", {}), data.get("sla", {}), data.get("inspections", {})
    made = {
        "sla_ring": charts.percent_ring(sla.get("attainment_percent"), label="SLA 达成率"),
        "inspection_ring": charts.percent_ring(inspections.get("completion_percent"), label="巡检完成率"),
        "incident_ring": charts.percent_ring(incidents.get("completion_percent"), label="故障处理完成率"),
        "severity_bars": charts.bar_chart(
            [
                (SEVERITY[s], incidents.get("by_severity", {}).get(s, 0))
                for s in ("emergency", "severe", "general")
            ],
            unit=" 起",
        ),
    }
    series = data.get("series")
    if series:
        labels = series["labels"]
        made["incident_trend"] = charts.trend_chart(
            labels, [("故障数", series["incidents"]), ("超时", series["breached"])], unit=""
        )
        made["rate_trend"] = charts.trend_chart(
            labels,
            [("SLA 达成率", series["sla_percent"]), ("巡检完成率", series["inspection_percent"])],
            unit="%",
            max_value=100,
            style="lines",
        )
        made["abnormal_trend"] = charts.trend_chart(labels, [("异常发现", series["abnormal"])])
    return made


def _sections(kind: str, narrative: dict, layout: list[tuple[str, str]] | None = None) -> list[dict]:
    """The numbered sections to print: the kind's own (reports.kinds), or ``layout`` for another
    document. A narrative part's heading is the kind's msgid in Chinese (rendered under zh-hans)."""
    report_kind = kinds.get(kind)
    sections = []
    for name, arg in layout or report_kind.sections:
        if name == "narrative":
            text = (narrative or {}).get(arg) or ""
            heading = str(report_kind.heading(arg))
            section = {"template": SECTION.format("narrative"), "title": heading, "text": str(text)}
        else:
            section = {"template": SECTION.format(name), "title": arg}
        section["heading"] = f"{chinese_number(len(sections) + 1)}、{section['title']}"
        sections.append(section)
    return sections


# The sections whose lists grow with the period, printed by rows (their template reads
# ``section.rows``): a long report is split between them in parts (reports.parts).
ROWS = {
    SECTION.format("incidents_table"): lambda view: view["incidents"]["list"],
    SECTION.format("incidents_full"): lambda view: view["incidents"]["list"],
    SECTION.format("work_log"): lambda view: view["work_log"],
}


def _with_rows(sections: list[dict], view: dict) -> list[dict]:
    """Each split section with all its rows, as one pass prints it."""
    for section in sections:
        if section["template"] in ROWS:
            section.update(rows=ROWS[section["template"]](view), lead=True, u0=0, row_u0=0)
    return sections


def blocks(sections: list[dict], view: dict) -> list:
    """The sections as blocks of a layout in parts: the long lists by rows."""
    from reports.parts import Block

    return [
        Block(s["template"], {"section": s}, ROWS[s["template"]](view) if s["template"] in ROWS else None)
        for s in sections
    ]


def summary_context(data: dict, layout: list[tuple[str, str]]) -> dict:
    """The figures, charts and numbered sections of ``layout`` for another document that prints
    a snapshot's sections (the acceptance package's summary). Render it under zh-hans."""
    view = _view(data)
    return {
        "data": view,
        "charts": _charts(data),
        "sections": _with_rows(_sections(data["kind"], {}, layout), view),
    }


def _report(data: dict, narrative: dict, signature: dict | None, draft: bool) -> dict:
    """The context of a report's PDF. Render under zh-hans and Beijing time."""
    kind = data["kind"]
    contract = data["contract"]
    kind_title = str(kinds.get(kind).label)
    doc = {
        "code": contract["code"],
        "period_label": data["period"]["label"],
        "title": f"{contract['title']} {kind_title}",
    }
    view = _view(data)
    return {
        "doc": doc,
        "title": f"{doc['code']} {doc['title']} {doc['period_label']}",
        "signature": signature,
        "draft": draft,
        "kind_title": kind_title,
        "data": view,
        "charts": _charts(data),
        "sections": _with_rows(_sections(kind, narrative), view),
    }


def report_html(data: dict, narrative: dict, *, signature: dict | None = None, draft: bool = False) -> str:
    """The report's HTML for reports.pdf in one pass, made from the snapshot and the narrative alone."""
    # Chinese, and Beijing time, whoever asks and wherever the worker runs.
    with translation.override("zh-hans"), timezone.override(CHINA_TZ):
        return render_to_string(TEMPLATE, _report(data, narrative, signature, draft))


def report_layout(context: dict):
    """The report as a layout in parts (reports.parts): its head, its sections, the signatures."""
    from reports.parts import Block, Layout

    signature = context["signature"]
    return Layout(
        frame={
            "doc": context["doc"],
            "title": context["title"],
            "draft": context["draft"],
            "signature": None,
        },
        base=context,
        blocks=[
            Block("reports/pdf/_head.html"),
            *blocks(context["sections"], context["data"]),
            *([Block("reports/pdf/_signatures.html")] if signature else []),
        ],
    )


def report_parts(data: dict, narrative: dict, *, signature: dict | None = None, draft: bool = False, **sizes):
    """The report laid out in bounded parts (a reports.parts.Joined: its ``pdf()`` stamps the
    footers); ``sizes`` for tests and benches."""
    from reports.parts import Joined

    joined = Joined()
    with translation.override("zh-hans"), timezone.override(CHINA_TZ):
        joined.add_layout(report_layout(_report(data, narrative, signature, draft)), **sizes)
    return joined


def report_pdf(
    data: dict, narrative: dict, *, signature: dict | None = None, draft: bool = False, **sizes
) -> bytes:
    """The report's PDF, laid out in bounded parts."""
    return report_parts(data, narrative, signature=signature, draft=draft, **sizes).pdf()

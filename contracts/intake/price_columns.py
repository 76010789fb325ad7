"""The columns of a price list: what each column of a table's header row is (the work's name,
its category, the amount, quantity × unit price…), whether a row is such a header at all, and
which money columns count in 万元. ``contracts.intake.prices`` reads the rows under it.
"""

import re
from decimal import Decimal

WAN = Decimal(10_000)

# A column's role from its header's words (spaces removed); the first that matches wins.
ROLES = [
    ("seq", re.compile(r"^(序号|编号|No\.?|#)$", re.I)),
    ("unit_price", re.compile(r"单价")),
    ("quantity", re.compile(r"数量|工作量")),
    ("unit", re.compile(r"单位(?!.*元)|计量")),
    ("subtotal", re.compile(r"小计")),
    ("description", re.compile(r"说明|描述|要求|参数|型号|规格|备注|内容说明|服务标准")),
    ("category", re.compile(r"^(分项|类别|分类|类型|大类|服务类别|项目类别|费用类别)$")),
    ("amount", re.compile(r"金额|总价|合价|价格|报价|费|价款|预算|合计|(?:万?元)")),
    ("name", re.compile(r"名称|项目|运维工作|工作项|品名|子项|服务目录|服务事项|服务内容|工作内容")),
]
_PER_PERIOD = re.compile(r"^(?:每|年度|月度|季度|年|月)[^金总合]{0,4}(?:费|价)")
NUMERIC_ROLES = {"seq", "quantity", "unit_price", "amount", "subtotal"}
_MONEY_ROLES = {"unit_price", "amount", "subtotal"}
# A table of instalments or of people is not a price list, whatever its money column says.
_NOT_A_PRICE_LIST = re.compile(r"支付|付款|比例|期次|阶段|姓名|职称|违约")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _roles(cells: list[str]) -> list[str | None]:
    roles, taken = [], set()
    # "年度费用（元）" beside "金额（元）": a fee per period is the rate, the other column the amount.
    priced = [next((n for n, r in ROLES if r.search(squeezed(c))), None) == "amount" for c in cells]
    for cell, money in zip(cells, priced, strict=True):
        words = squeezed(cell)
        role = next((name for name, rule in ROLES if words and rule.search(words)), None)
        if money and sum(priced) > 1 and _PER_PERIOD.search(words) and "unit_price" not in taken:
            role = "unit_price"
        if role in taken and role in {"name", "category", "amount", "seq", "quantity", "unit_price"}:
            role = "description" if role in {"name", "category"} else None
        roles.append(role)
        taken.add(role)
    return roles


def header_roles(cells: list[str]) -> list[str | None] | None:
    if len(cells) < 2 or _NOT_A_PRICE_LIST.search("".join(cells)):
        return None
    if any(len(squeezed(c)) > 16 for c in cells):
        return None  # a header names its columns in a few words
    roles = _roles(cells)
    if "name" not in roles and "category" not in roles:
        return None
    if "amount" not in roles and "unit_price" not in roles:
        return None
    if "name" not in roles:  # the only text column names the item
        roles[roles.index("category")] = "name"
    return roles


def money_scale(header: list[str], roles: list, caption: str) -> list[Decimal]:
    """Per column: 10,000 where the header or (failing it) the caption says 万元."""
    table_wan = bool(re.search(r"万元", caption)) and not re.search(r"单位\s*[:：]\s*元", caption)
    scales = []
    for cell, role in zip(header, roles, strict=True):
        if role not in _MONEY_ROLES:
            scales.append(Decimal(1))
        elif "万元" in cell or "万" in squeezed(cell)[-4:]:
            scales.append(WAN)
        elif "元" in cell:
            scales.append(Decimal(1))
        else:
            scales.append(WAN if table_wan else Decimal(1))
    return scales

"""Resident staff and acceptance: the posts the vendor keeps filled (how many, on which shift
pattern, where), the staff rules the contract sets at its own level, how the work is accepted and
the build contract's periods (build, initial acceptance, trial run, final acceptance, warranty).

A post is read where the text counts people on site (驻场): "N 名驻场工程师", "某中心驻场工程师
N 名", a table of shift patterns ("7天×24小时驻场岗位N个", "/" for none). A count that only sums
the placed posts ("派遣6名技术人员驻场" beside "甲中心5名，乙支队1名") is not a post of its own. A post
whose shift pattern the text does not state is proposed on working days (5×8), less surely.
Duties on weekends, holidays and heightened periods are not posts: they are the contract's
``onsite_on_non_working_days`` when the text makes them a must with a count of people.
"""

import re
from collections import Counter

from contracts.intake.proposals import Conflict, Extraction, Proposal
from contracts.intake.sentences import blanked, flatten
from contracts.intake.sentences import number as figure

# What a post's value looks like once proposed: StaffPost's fields.
POST_FIELDS = ("name", "shift", "headcount", "place")
# The BuildTimeline periods the acceptance group proposes, in calendar days (warranty in years).
TIMELINE_FIELDS = (
    "build_days",
    "initial_acceptance_days",
    "trial_run_days",
    "trial_extension_days",
    "final_acceptance_days",
    "warranty_years",
)

NUM = r"(?:\d{1,3}|[一二两三四五六七八九十]{1,3})"
SENTENCE_REACH = 300
_SENTENCE = re.compile(r"[。；;\n]")
# Occasions, not posts: a duty on these days is a rule of the contract, not a shift pattern.
_OCCASION = re.compile(r"周末|节假日|休息日|双休日|重保|安保|重大活动|敏感时期|保障期|突发")
_PLACE_END = re.compile(r"(?:总队|支队|大队|中队|厅|局|分局|中心|派出所|指挥部)$")
_PLACE_LEAD = re.compile(r"^.*(?:安排|派驻|派遣|配备|配置|提供|设置|设立|在)")


def number(text: str) -> int | None:
    """ "3", "五", "两", "十二" → an int (``sentences.number``, through cn2an); None otherwise."""
    value = figure(text)
    return int(value) if value is not None and value == int(value) else None


def on_unwrapped(read, text: str) -> Extraction:
    """``read`` (text → Extraction) run on the text with the breaks of wrapped lines taken out
    (``sentences.flatten``), its spans put back on ``text``."""
    flat = flatten(text)
    found = read(flat.text)
    out = Extraction()
    for p in found.proposals:
        start, end = flat.span(p.start, p.end)
        out.proposals.append(Proposal(p.group, p.field, p.value, start, end, p.confidence, p.rule))
    for c in found.conflicts:
        out.conflicts.append(Conflict(c.field, c.values, tuple(flat.span(s, e) for s, e in c.spans)))
    return out


def sentence_span(text: str, start: int, end: int, reach: int = SENTENCE_REACH) -> tuple[int, int]:
    """The sentence around [start, end), at most ``reach`` characters either side: a text
    without full stops costs no more than its length once."""
    low, high = max(0, start - reach), min(len(text), end + reach)
    left = max((m.end() for m in _SENTENCE.finditer(text, low, start)), default=low)
    right = _SENTENCE.search(text, end, high)
    return left, right.start() if right else high


def _sentence_of(text: str, start: int, end: int) -> str:
    left, right = sentence_span(text, start, end)
    return text[left:right]


# --- Staff posts ----------------------------------------------------------------------------------

# "5天×8小时驻场岗位3个，7天×24小时驻场岗位/个": a table of posts by shift pattern.
_SHIFT_TABLE = re.compile(
    r"(?P<d>[57])\s*天?\s*[×xX*]\s*(?P<h>8|24)\s*(?:小时|h|H)?\s*(?:的)?\s*(?:驻场|值守|值班)(?:岗位?|人员|工程师)"
    r"\s*(?P<n>" + NUM + r"|/|／)\s*(?:个|名|人|位)?"
)
# "指挥中心驻场运维工程师4名": a post at a named place.
_PLACED = re.compile(
    r"(?P<place>[\u4e00-\u9fff]{2,16})驻场(?P<role>[\u4e00-\u9fff]{0,8}?(?:工程师|人员))\s*(?P<n>"
    + NUM
    + r")\s*(?:名|位|人)"
)
# "6 位以上驻场人员", "两名一线驻场工程师", "派遣6名技术人员常驻", "驻场人员不少于2名".
_ROLE = r"[\u4e00-\u9fff]{0,4}?(?:人员|工程师)"
_COUNTED = re.compile(
    r"(?P<n>" + NUM + r")\s*(?:名|位|人)\s*(?:及?以上)?\s*的?\s*(?:一线)?\s*"
    r"(?P<role>" + _ROLE + r")?\s*(?:驻场|常驻|驻点)\s*(?P<role2>" + _ROLE + r")?"
    r"|驻场(?P<role3>" + _ROLE + r")\s*(?:不少于|至少|不低于)?\s*(?P<n3>" + NUM + r")\s*(?:名|位|人)"
    # "在甲方指挥中心派驻运维工程师3名": sent to stay, counted after the role.
    r"|派驻(?P<role4>" + _ROLE + r")\s*(?:不少于|至少|不低于)?\s*(?P<n4>" + NUM + r")\s*(?:名|位|人)"
)
# "实行7×24小时驻场", "5×8小时工作制", "2名（7×24小时）" beside a count: the shift pattern of
# those people; not a system's hours ("保障系统7×24小时运行", "7×24小时电话支持").
_SHIFT_WORDS = re.compile(
    r"(?P<d>[57])\s*天?\s*[×xX*]\s*(?P<h>8|24)\s*(?:小时)?\s*(?:驻场|值守|值班|在岗|工作制|轮班|[）)])"
)
# "甲方派驻2名民警…", not "乙方应在甲方指挥中心派驻…" (the bureau as the place, not the sender).
_CLIENT_SENDS = re.compile(r"(?<![在向为到至于给])甲方[^，,。；;乙]*$")
# "实行7×24小时值守": one person on call round the clock.
_ROUND_THE_CLOCK = re.compile(r"7\s*[×xX*]\s*24\s*(?:小时)?\s*(?:值班|值守)")
# "派驻云平台运维工程师2名、数据库工程师1名常驻甲方机房": several posts sent at once, one per role.
_ROLE_COUNT = r"[\u4e00-\u9fff]{1,10}?(?:人员|工程师)\s*" + NUM + r"\s*(?:名|位|人)"
_SENT_LIST = re.compile(
    r"(?:派驻|派遣|安排|配备)(?P<list>" + _ROLE_COUNT + r"(?:\s*[、，,和及]\s*" + _ROLE_COUNT + r")+)"
    r"\s*(?:常驻|驻场|驻点|在)"
)
_LIST_ITEM = re.compile(
    r"(?P<role>[\u4e00-\u9fff]{1,10}?(?:人员|工程师))\s*(?P<n>" + NUM + r")\s*(?:名|位|人)"
)
# "派驻人员5名，其中：（1）值班员3名…；（2）系统工程师2名…": a count broken down into posts,
# item by item, each with its own hours.
_BREAKDOWN = re.compile(r"(?P<n>" + NUM + r")\s*(?:名|位|人)\s*[，,]?\s*其中\s*[：:]?\s*\n?")
_BREAKDOWN_ITEM = re.compile(
    r"[ \t\u3000]*[（(]?[0-9一二三四五六七八九十]{1,2}[)）、.．]\s*"
    r"(?P<role>[\u4e00-\u9fff]{1,10}?(?:岗|工程师|人员|员))\s*(?P<n>" + NUM + r")\s*(?:名|位|人)"
    r"(?P<rest>[^\n]*)\n?"
)
# Hours said as a clock range: "工作日8:30—17:30" is 5×8, "每日（含周六、周日…）9:00至18:00" 7×8.
_CLOCK_RANGE = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}\s*(?:—|-|–|~|～|至|到)+\s*\d{1,2}\s*[:：]\s*\d{2}")
_EVERY_DAY = re.compile(r"每(?:日|天)|(?:含|包括)[^）)。；;]{0,6}(?:周六|周日|周末|节假日|休息日)")
_WORKING_DAY = re.compile(r"工作日|周一至周五|星期一至星期五")
# "（含周六、周日及法定节假日）": days the post covers, not an occasion apart from it.
_INCLUDED_DAYS = re.compile(r"[（(]\s*(?:含|包括)[^）)]*[)）]")


def _hours_shift(sentence: str) -> str | None:
    """The shift pattern of hours said as a clock range, or None."""
    if not _CLOCK_RANGE.search(sentence):
        return None
    if _EVERY_DAY.search(sentence):
        return "7x8"
    return "5x8" if _WORKING_DAY.search(sentence) else None


# "…实行7×24小时轮班值守，节假日期间照常值守": the post keeps its hours on those days, which
# makes them no occasion apart from it.
_AS_USUAL = re.compile(
    r"(?:周末|节假日|休息日|双休日)[^，,。；;]{0,6}?(?:照常|正常|坚持|同样|也|亦|均)\s*(?:在岗|值班|值守|到岗|上班)"
)


def _occasion(sentence: str) -> bool:
    return bool(_OCCASION.search(_AS_USUAL.sub("", _INCLUDED_DAYS.sub("", sentence))))


# "安排 2 名值守工程师，实行 7×24 小时轮班值守", "安排 2 名外场工程师…在工作日 8:30—17:30 驻点于…":
# people assigned by role, a post when their own sentence gives their hours and that they stay.
_ASSIGNED = re.compile(
    r"(?:安排|派驻|派遣|配备|配置)\s*(?P<n>" + NUM + r")\s*(?:名|位)\s*"
    r"(?P<role>[\u4e00-\u9fff]{1,8}?(?:工程师|人员))"
)
_STAYS = re.compile(r"驻点|驻场|常驻|在岗|值守|值班")


# "应指定一名项目负责人…": the vendor's lead, a post of one.
_LEAD = re.compile(r"(?:指定|安排|配备)\s*(?:一|1)\s*名\s*(?:项目)?负责人")


def _shift_beside(text: str, count, taken: list) -> str | None:
    """The one shift pattern the count's sentence gives its people, or None."""
    found = list(_SHIFT_WORDS.finditer(text, *sentence_span(text, count.start(), count.end())))
    shifts = {f"{m['d']}x{m['h']}" for m in found}
    if not found:
        shift = _hours_shift(_sentence_of(text, count.start(), count.end()))
        return shift
    if len(shifts) != 1 or not shifts <= {"5x8", "7x8", "7x24"}:
        return None
    taken += [m.span() for m in found]  # not a round-the-clock duty of its own
    return shifts.pop()


def _role(*roles) -> str:
    return "工程师" if any(r and "工程师" in r for r in roles) else "人员"


def _post(name, shift, headcount, place="") -> dict:
    return {"name": name, "shift": shift, "headcount": headcount, "place": place}


def staff_posts(text: str) -> Extraction:
    out = Extraction()
    placed, counted, table, taken, listed = [], [], [], [], []

    def free(start, end):
        return not any(s < end and start < e for s, e in taken)

    for m in _SHIFT_TABLE.finditer(text):
        taken.append(m.span())
        if m["n"] in "/／":
            continue  # the table lists the pattern, none asked for
        shift, n = f"{m['d']}x{m['h']}", number(m["n"])
        if shift not in ("5x8", "7x8", "7x24") or not n:
            continue
        table.append((_post(f"{m['d']}×{m['h']}驻场岗", shift, n), m.start(), m.end(), 0.9, "shift-table"))
    for m in _SENT_LIST.finditer(text):
        if _OCCASION.search(_sentence_of(text, *m.span())):
            continue
        taken.append(m.span())
        for item in _LIST_ITEM.finditer(text, m.start("list"), m.end("list")):
            n = number(item["n"])
            if n:
                role = re.sub(r"^(?:和|及|、)", "", item["role"])
                listed.append((_post(role, "5x8", n), item.start(), item.end(), 0.7, "listed-posts"))
    for m in _PLACED.finditer(text):
        place = _PLACE_LEAD.sub("", m["place"])
        n = number(m["n"])
        if not n or not _PLACE_END.search(place) or _OCCASION.search(_sentence_of(text, *m.span())):
            continue
        start = m.start("place") + m["place"].rindex(place)
        taken.append((start, m.end()))
        post = _post(f"{place}驻场{_role(m['role'])}", "5x8", n, place)
        placed.append((post, start, m.end(), 0.8, "placed-post"))
    for m in _COUNTED.finditer(text):
        if not free(*m.span()) or _occasion(_sentence_of(text, *m.span())):
            continue
        if _CLIENT_SENDS.search(text, max(0, m.start() - 12), m.start()):
            continue  # the bureau's own people on site (to supervise) are not the vendor's post
        n = number(m["n"] or m["n3"] or m["n4"])
        if n:
            shift = _shift_beside(text, m, taken)
            role = _role(m["role"], m["role2"], m["role3"], m["role4"])
            counted.append((n, role, m.start(), m.end(), shift))
    broken = []
    for m in _BREAKDOWN.finditer(text):
        items, at = [], m.end()
        while item := _BREAKDOWN_ITEM.match(text, at):
            items.append(item)
            at = item.end()
        n = number(m["n"])
        if len(items) < 2 or sum(number(i["n"]) or 0 for i in items) != n:
            continue
        taken.append((m.start(), at))
        for item in items:
            shift = _shift_beside(text, item, taken) or _hours_shift(item["rest"]) or "5x8"
            post = _post(item["role"], shift, number(item["n"]))
            broken.append((post, item.start("role"), item.end("n"), 0.75, "broken-down-posts"))
    posts = table + placed + listed + broken
    sums = {sum(p[0]["headcount"] for p in group) for group in (table, placed, listed, broken) if group}
    counted = [c for c in counted if c[0] not in sums]
    if counted:
        counts = Counter(c[0] for c in counted).most_common()
        if len(counts) == 1 or counts[0][1] > counts[1][1]:
            n = counts[0][0]
            _n, role, start, end, shift = next(c for c in counted if c[0] == n)
            confidence = (0.8 if shift else 0.7) if len(counts) == 1 else 0.5
            rule = "resident-count-shift" if shift else "resident-count"
            posts.append((_post(f"驻场{role}", shift or "5x8", n), start, end, confidence, rule))
        if len(counts) > 1:
            values = tuple(n for n, _c in counts)
            spans = tuple(next((c[2], c[3]) for c in counted if c[0] == n) for n in values)
            out.conflicts.append(Conflict("staff_post", values, spans))
    for m in _ASSIGNED.finditer(text):
        sentence = _sentence_of(text, *m.span())
        if not free(*m.span()) or "驻场" in m["role"] or _occasion(sentence) or not _STAYS.search(sentence):
            continue
        if any(s < m.end() and m.start() < e for _n, _r, s, e, _shift in counted):
            continue
        shift = _shift_beside(text, m, taken)
        if shift and number(m["n"]):
            posts.append((_post(m["role"], shift, number(m["n"])), m.start(), m.end(), 0.7, "assigned-post"))
    for m in _ROUND_THE_CLOCK.finditer(text):
        # "重大安保期间…实行7×24小时值守": a heightened period's duty, not a post.
        if free(*m.span()) and not _OCCASION.search(_sentence_of(text, *m.span())):
            posts.append((_post("7×24值班", "7x24", 1), m.start(), m.end(), 0.6, "round-the-clock-duty"))
            break
    for m in _LEAD.finditer(text):
        posts.append((_post("项目负责人", "5x8", 1), m.start(), m.end(), 0.6, "designated-lead"))
        break
    names = set()
    for value, start, end, confidence, rule in posts:
        if value["name"] in names:  # a post's name is unique in its contract
            continue
        names.add(value["name"])
        out.proposals.append(Proposal("staff", "staff_post", value, start, end, confidence, rule))
    return out


# "项目负责人不得擅自更换，确需更换的应事先征得甲方书面同意".
# "项目经理、技术负责人未经甲方同意不得更换", "项目负责人原则上不予更换，如需更换应征得甲方同意":
# the consent may come before or after the words that forbid the change.
_KEY_STAFF = re.compile(
    r"(?:项目经理|项目负责人|技术负责人)[^。；;]{0,30}?(?:不得|不能|不应|不可|不予|不准|不许)[^。；;]{0,8}?更换"
    r"[^。；;]{0,40}?(?:同意|许可|批准|认可)"
    r"|(?:项目经理|项目负责人|技术负责人)[^。；;]{0,30}?未经[^。；;]{0,12}?(?:同意|许可|批准|认可)"
    r"[^。；;]{0,6}?(?:不得|不能|不应|不可|不予|不准|不许)[^。；;]{0,4}?更换"
    # "项目经理应保持稳定，确需更换的，须经甲方书面同意": the change allowed only with consent.
    r"|(?:项目经理|项目负责人|技术负责人)[^。；;]{0,20}?(?:确需|如需|若需|需要)更换[^。]{0,30}?"
    r"(?<!无)(?<!不)(?:经|征得|取得)[^。；;]{0,8}?(?:同意|许可|批准|认可)"
    # "项目负责人及驻场工程师的变更须征得甲方书面同意": the change itself needs consent.
    r"|(?:项目经理|项目负责人|技术负责人)[^。；;，,]{0,12}?的?(?:变更|更换|调整|变动)\s*"
    r"(?:须|需|应|必须|应当)\s*(?:事先|提前)?\s*(?:经|征得|取得)[^。；;]{0,8}?(?:同意|许可|批准|认可)"
    # "项目负责人的更换须提前 10 日书面申请，经甲方同意后方可更换": asked first, then agreed.
    r"|(?:项目经理|项目负责人|技术负责人)[^。；;，,]{0,12}?的?(?:变更|更换|调整|变动)\s*(?:须|需|应|必须|应当)"
    r"[^。；;]{0,20}?(?:申请|报告|报批)[，,]?\s*(?:经|征得|取得)[^。；;，,]{0,8}?(?:同意|许可|批准|认可)"
)
# "双休日和法定节假日须安排至少2名工程师在岗": a must, with a count of people.
_NON_WORKING = re.compile(
    r"(?:周末|节假日|休息日|双休日|非工作日)[^。；;]{0,40}?(?:必须|须|应当?|需)\s*(?:安排|保证|确保|保持|有)"
    r"[^。；;]{0,8}?(?:不少于|至少)?\s*" + NUM + r"\s*(?:名|人|位)"
    r"[^。；;]{0,8}?(?:在岗|值班|驻场|现场|到岗|在场)"
    # "节假日期间，驻场人员应照常在岗": the posts keep their hours on those days.
    r"|(?:周末|节假日|休息日|双休日|非工作日)[^。；;]{0,30}?(?:照常|正常|坚持|同样|也|亦|均)\s*(?:在岗|值班|值守|到岗|上班)"
    # "每日（含周六、周日及法定节假日）8:30至17:30在岗": those days are among the post's.
    r"|(?:含|包括)[^）)。；;]{0,6}(?:周六|周日|周末|节假日|休息日)[^。；;]{0,24}?(?:在岗|值班|值守|驻场|到岗)"
    # "实行 7×24 小时轮班值守": people take turns on site round the clock, holidays too (a bare
    # "7×24 小时值班制度" may be a phone line).
    r"|7\s*[×xX*]\s*24\s*(?:小时)?\s*轮班\s*(?:值守|值班|驻场|在岗)"
)


def staff_rules(text: str) -> Extraction:
    out = Extraction()
    for name, rule, pattern in (
        ("key_staff_change_needs_consent", "key-staff-consent", _KEY_STAFF),
        ("onsite_on_non_working_days", "non-working-days-onsite", _NON_WORKING),
    ):
        m = pattern.search(text)
        if m:
            out.proposals.append(Proposal("staff", name, True, m.start(), m.end(), 0.85, rule))
    return out


# --- Acceptance -----------------------------------------------------------------------------------

_DAYS = r"\s*(?P<n>\d{1,4})\s*个?\s*(?:日历日|自然日|日|天)"
_TIMELINE = {
    "build_days": re.compile(
        r"(?:签订|签署)合同(?:之日)?(?:起|后)\s*[,，]?\s*(?:在)?" + _DAYS + r"内\s*(?:实施|建设|完成)"
    ),
    "initial_acceptance_days": re.compile(
        r"(?:实施|建设|安装调试)完成后" + _DAYS + r"内\s*(?:完成|组织)?\s*(?:项目)?初验"
    ),
    "trial_run_days": re.compile(
        r"(?:为期|经过)" + _DAYS + r"\s*的?\s*试运行|试运行期\s*(?:为)?" + _DAYS.replace("?P<n>", "?P<m>")
    ),
    "trial_extension_days": re.compile(r"试运行期?[^。；;]{0,12}?延长" + _DAYS),
    "final_acceptance_days": re.compile(_DAYS + r"内\s*(?:完成|组织)?\s*(?:项目)?(?:终验|最终验收)"),
    "warranty_years": re.compile(
        r"(?:维保|质保|保修)期\s*(?:为)?\s*(?P<n>\d{1,2})\s*年|(?P<m>\d{1,2})\s*年\s*的?\s*(?:免费)?(?:维保|质保|保修)"
    ),
}
_BUILD = re.compile(r"初验|试运行")
# "按下列第2种方式 … I.一次性验收：… II.固定周期验收：…": the text picks one of the listed ways.
_CHOICE = re.compile(r"验收[^。\n]{0,30}?第\s*(?P<n>[1-9一二三])\s*种方式")
_ONE_TIME = re.compile(
    r"一次性(?:验收|终验)|最终验收|终验|(?:服务|运维|合同|维护)期满[^。；;]{0,20}?验收|验收[^。；;，,]{0,6}?(?:服务|运维|合同)期满"
)
# "按服务年度进行考核验收": a contract of several years accepted year by year is periodic too.
_PERIODIC = re.compile(
    r"固定周期验收|(?:每|按)(?:个|一)?(?:服务)?(?:月|季度?|半年|年度)[^。；;，,]{0,20}?验收"
)
_OPTION = re.compile(
    r"(?m)^\s*(?:[IVX]{1,3}|[1-9]|[（(][1-9一二三][）)])\s*[.、．]?\s*(?P<name>[^：:\n]{2,12})[：:]"
)


# "本项目采用固定周期验收方式", "验收方式为一次性验收": the way said outright.
_STATED = re.compile(
    r"(?:采用|采取|实行|验收方式\s*(?:为|是|[：:]))\s*(?P<way>一次性(?:终验|验收)|固定周期验收|定期验收|"
    r"(?:按|每)(?:月|季度?|半年)(?:进行)?验收)"
)


def _chosen_method(text: str) -> tuple[str, int, int, str] | None:
    stated = [m for m in _STATED.finditer(text)]
    ways = {"one_time" if m["way"].startswith("一次性") else "periodic" for m in stated}
    if len(ways) == 1:
        return ways.pop(), stated[0].start(), stated[0].end(), "acceptance-stated"
    choice = _CHOICE.search(text)
    if not choice:
        return None
    n = number(choice["n"])
    options = [m for m in _OPTION.finditer(text, choice.end(), choice.end() + 600)]
    if not n or len(options) < n:
        return None
    picked = options[n - 1]
    name = picked["name"]
    if _PERIODIC.search(name) or "周期" in name:
        return "periodic", choice.start(), picked.end(), "acceptance-choice"
    if _ONE_TIME.search(name):
        return "one_time", choice.start(), picked.end(), "acceptance-choice"
    return None


# The article on acceptance ("第八条 验收", "九、验收", "6. 验收标准、方法") up to the next article:
# where the contract says how the work is accepted, beside a payment "经验收合格后" elsewhere.
_ARTICLE = (
    r"[ \t\u3000#]*(?:第[一二三四五六七八九十百]+条|[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|\d{1,2}\s*[.．、](?!\d))"
)
# "考核与验收", "检查及验收": the article's heading may join acceptance to the review before it.
_ACCEPTANCE_ARTICLE = re.compile(
    rf"(?m)^{_ARTICLE}\s*(?:(?:考核|检查|考评)\s*[与和及、]\s*)?(?:履约)?验收[^\n。；;，,]{{0,8}}$"
)
_NEXT_ARTICLE = re.compile(rf"(?m)^{_ARTICLE}")
ARTICLE_REACH = 800


# "四个季度验收均合格的，视为服务期满验收合格": the periodic acceptances deemed the final one,
# not a one-time acceptance of its own.
_DEEMED = re.compile(r"(?:视为|视同|即为|即视为)\s*$")


def _not_deemed(text: str, found) -> list:
    return [m for m in found if not _DEEMED.search(text, max(0, m.start() - 4), m.start())]


def _section_method(text: str) -> tuple[str, int, int, str] | None:
    """The one way the acceptance article names, or None (no such article, or both ways)."""
    heading = _ACCEPTANCE_ARTICLE.search(text)
    if heading is None:
        return None
    following = _NEXT_ARTICLE.search(text, heading.end() + 1, heading.end() + ARTICLE_REACH)
    end = following.start() if following else min(len(text), heading.end() + ARTICLE_REACH)
    once = _not_deemed(text, _ONE_TIME.finditer(text, heading.end(), end))
    periodic = list(_PERIODIC.finditer(text, heading.end(), end))
    if bool(once) == bool(periodic):
        return None
    found = (once or periodic)[0]
    return ("one_time" if once else "periodic"), found.start(), found.end(), "acceptance-article"


def acceptance(text: str) -> Extraction:
    out = Extraction()
    plain = blanked(text)
    chosen = _chosen_method(plain) or _section_method(plain)
    method = None
    if chosen:
        method, start, end, rule = chosen
        confidence = 0.8 if rule == "acceptance-article" else 0.9
    else:
        once = _not_deemed(plain, _ONE_TIME.finditer(plain))
        periodic = list(_PERIODIC.finditer(plain))
        if once and periodic:
            spans = (once[0].span(), periodic[0].span())
            out.conflicts.append(Conflict("acceptance_method", ("one_time", "periodic"), spans))
        elif once or periodic:
            method = "one_time" if once else "periodic"
            start, end = (once or periodic)[0].span()
            confidence, rule = 0.75, "acceptance-at-end" if once else "acceptance-periodic"
    if method:
        proposal = Proposal("acceptance", "acceptance_method", method, start, end, confidence, rule)
        out.proposals.append(proposal)
    # A build's periods, only where the text has a build's stages (an O&M contract's "备件质保期
    # 1年" is not a warranty the build timeline counts).
    timeline = _TIMELINE.items() if _BUILD.search(plain) else ()
    for name, pattern in timeline:
        found = []
        for m in pattern.finditer(plain):
            raw = next(g for g in (m.groupdict().get("n"), m.groupdict().get("m")) if g)
            value = int(raw)
            if value > 0:
                found.append((value, m.start(), m.end()))
        values = Counter(v for v, _s, _e in found)
        if len(values) == 1:
            value, start, end = found[0]
            out.proposals.append(Proposal("acceptance", name, value, start, end, 0.85, "build-period"))
        elif len(values) > 1:
            spans = tuple(next((s, e) for v, s, e in found if v == other) for other in values)
            out.conflicts.append(Conflict(name, tuple(values), spans))
    return out


def extract_duties(text: str) -> Extraction:
    return on_unwrapped(lambda t: staff_posts(t).extend(staff_rules(t)).extend(acceptance(t)), text)

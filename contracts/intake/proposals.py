"""What the extractor proposes: a value for one field, the span of the text it came from, how
sure the rule is, and which rule said it."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Proposal:
    group: str  # the contract tab it belongs to: "parties", "title", "term", "total"...
    field: str  # the contract's field: "client", "vendor", "signed_on", "total"...
    value: object
    start: int  # the span in the text, [start, end)
    end: int
    confidence: float  # 0–1: how sure the rule is
    rule: str  # which rule made it, for the reviewer and the tests

    def quote(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Conflict:
    """The text says two things of one field (two totals, two vendor names): a person decides."""

    field: str
    values: tuple
    spans: tuple  # ((start, end), ...), one per value


@dataclass
class Extraction:
    proposals: list[Proposal] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def value(self, name: str):
        found = [p for p in self.proposals if p.field == name]
        return found[0].value if found else None

    def extend(self, other: "Extraction") -> "Extraction":
        self.proposals += other.proposals
        self.conflicts += other.conflicts
        return self

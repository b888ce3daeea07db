"""The national targets the report checks the runs against, with their sources.

Kept as data here (not in the page template) so that a target and its source are stated once;
the sources are those of ``docs/sources.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class NationalTarget:
    """A national target on one headline indicator.

    Attributes
    ----------
    key : str
        Identifier of the target.
    indicator : str
        Key of the headline indicator (``model.contract.HEADLINE_INDICATORS``), in its units.
    sense : {"at_most", "at_least"}
        Whether the indicator must stay at or below, or reach at least, ``value``.
    value : float
        The target, in the indicator's units (here %).
    year : int
        The year by which it is to be met.
    source : str
        Where the target is published (``docs/sources.md``).
    label_en, label_zh : str
        The target as a planner names it.
    """

    key: str
    indicator: str
    sense: Literal["at_most", "at_least"]
    value: float
    year: int
    source: str
    label_en: str
    label_zh: str

    def met(self, value: float) -> bool:
        """Whether an indicator value meets the target."""
        return value <= self.value + 1e-9 if self.sense == "at_most" else value >= self.value - 1e-9


NATIONAL_TARGETS: tuple[NationalTarget, ...] = (
    NationalTarget("leakage", "leakage_rate_pct", "at_most", 9.0, 2025,
                   "https://ehs.cn/law/118865.html",
                   "Public-supply leakage rate at most 9 % by 2025",
                   "2025年城市公共供水管网漏损率控制在9%以内"),
    NationalTarget("reuse", "reuse_rate_pct", "at_least", 25.0, 2025,
                   "http://www.cfgw.net.cn/epaper/content/202101/13/content_34270.htm",
                   "Reclaimed-water use at least 25 % by 2025 (water-short cities)",
                   "2025年缺水城市再生水利用率达到25%以上"),
)

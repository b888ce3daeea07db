"""Fonts for Chinese labels in plots.

Matplotlib's default font has no Chinese glyphs. The project's setup installs a CJK font where it
can (``.ci/run`` installs Debian's ``fonts-wqy-microhei``); on a machine without one, Chinese text
is left out of plot labels rather than drawn as empty boxes.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Families tried in order; any one of them renders Simplified Chinese.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)

_CJK = re.compile(r"\s*[(（]?[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+[)）]?")


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first installed font family that renders Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def use_cjk_font() -> bool:
    """Put a Chinese-capable font first in matplotlib's sans-serif list; True if one exists."""
    import matplotlib

    family = cjk_family()
    if family is None:
        return False
    fonts = list(matplotlib.rcParams["font.sans-serif"])
    if fonts[:1] != [family]:
        matplotlib.rcParams["font.sans-serif"] = [family, *[f for f in fonts if f != family]]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return True


def label(text: str) -> str:
    """``text`` as given if Chinese can be drawn, else with its Chinese parts removed."""
    if use_cjk_font():
        return text
    return _CJK.sub("", text).strip()

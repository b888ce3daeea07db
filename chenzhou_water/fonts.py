"""Fonts for Chinese labels in plots.

Matplotlib's default font has no Chinese glyphs. The project's setup installs a CJK font where it
can (``.ci/run`` installs Debian's ``fonts-wqy-microhei``); on a machine without one, Chinese text
is left out of plot labels rather than drawn as empty boxes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

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


#: File names of the fonts above (lower case), for fonts installed after matplotlib built its
#: font cache: matplotlib does not notice them until they are registered.
_CJK_FILES = re.compile(r"wqy|notosans.*cjk|notosanssc|notoserif.*cjk|sourcehan|droidsansfallback|"
                        r"simhei|msyh|pingfang")

INSTALL_HINT = (
    "install one, for example `apt-get install fonts-wqy-microhei` (Debian, Ubuntu) or any "
    "Noto Sans CJK font (`fonts-noto-cjk`, `google-noto-sans-cjk-fonts`)"
)


def _first_installed() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def _register_system_cjk_fonts() -> None:
    """Add CJK font files of the system that matplotlib's cached font list does not know."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for fname in font_manager.findSystemFonts():
        if fname not in known and _CJK_FILES.search(Path(fname).name.lower()):
            try:
                font_manager.fontManager.addfont(fname)
            except (OSError, RuntimeError, ValueError):  # an unreadable file: skip it
                continue


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first installed font family that renders Chinese, or None."""
    family = _first_installed()
    if family is None:
        _register_system_cjk_fonts()
        family = _first_installed()
    return family


def require_cjk_font() -> str:
    """The family :func:`use_cjk_font` would use; raise if no font that renders Chinese exists.

    Raises
    ------
    ReportError
        With how to install such a font.
    """
    from chenzhou_water.errors import ReportError

    family = cjk_family()
    if family is None:
        raise ReportError(
            "Chinese labels need a font that renders Chinese and none is installed; "
            + INSTALL_HINT + f". Fonts looked for: {', '.join(CJK_FAMILIES)}"
        )
    return family


def _installed_fallbacks(family: str) -> list[str]:
    """The other installed families of matplotlib's sans-serif list (DejaVu Sans ships with it)."""
    import matplotlib
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in matplotlib.rcParams["font.sans-serif"] if f != family and f in installed]


def use_cjk_font() -> bool:
    """Put a Chinese-capable font first in matplotlib's sans-serif list; True if one exists."""
    import matplotlib

    family = cjk_family()
    if family is None:
        return False
    fonts = list(matplotlib.rcParams["font.sans-serif"])
    if fonts[:1] != [family]:
        matplotlib.rcParams["font.sans-serif"] = [family, *[f for f in fonts if f != family]]
    # Installed families, not "sans-serif": matplotlib falls back glyph by glyph only along an
    # explicit list (the CJK font lacks some symbols such as superscript digits).
    matplotlib.rcParams["font.family"] = [family, *_installed_fallbacks(family)]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return True


def label(text: str) -> str:
    """``text`` as given if Chinese can be drawn, else with its Chinese parts removed."""
    if use_cjk_font():
        return text
    return _CJK.sub("", text).strip()

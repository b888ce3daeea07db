"""The report's page for a stress study's ``.nc``: surfaces, the ranking table, PRIM boxes.

A minimal, self-contained page (figures as base64 PNG) in English or Chinese, made from the file
alone: the response surfaces are binned from the stored futures, the table and the boxes are
the ones the study stored (``robustness``, ``box_low``/``box_high``/``box_stats``).
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import xarray as xr

from chenzhou_water.report.figures import figure_data_uri
from chenzhou_water.report.i18n import translator
from chenzhou_water.stress.plots import plot_surface

__all__ = ["STUDY_KIND", "STUDY_TEXTS", "is_study", "study_page"]

#: The ``kind`` attribute a study's file carries.
STUDY_KIND = "chenzhou-water stress study"

STUDY_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Stress test of policies: {name}", "政策压力测试：{name}"),
    "futures": ("{policies} policies, each over the same {futures} futures.",
                "{policies}项政策，均在相同的{futures}个未来情景下评估。"),
    "surfaces": ("Climate response surfaces", "气候响应曲面"),
    "surfaces_note": ("Mean outcome of the futures in each cell; the black line is the failure "
                      "threshold, the dashed box the plausible region.",
                      "每格为该区域内未来情景结果的平均值；黑线为失效阈值，虚线框为合理区间。"),
    "robustness": ("Robustness across policies", "政策稳健性比较"),
    "robustness_note": ("Satisficing: share of futures meeting every threshold. Regret: how far "
                        "a policy is from the best policy in the same future.",
                        "满意度：满足全部阈值的未来情景比例。遗憾值：同一未来情景下与最优政策的差距。"),
    "boxes": ("Where each policy fails (PRIM)", "各政策的失效条件（PRIM情景发现）"),
    "policy": ("Policy", "政策"),
    "outcome": ("Outcome", "结果指标"),
    "failures": ("Failing futures", "失效情景数"),
    "coverage": ("Coverage", "覆盖率"),
    "density": ("Density", "密度"),
    "box": ("Box limits", "盒子范围"),
    "none": ("no restriction found", "未发现显著限制"),
}


def is_study(path: str | Path) -> bool:
    """Whether ``path`` is a stress study's ``.nc`` (by its ``kind`` attribute)."""
    try:
        with xr.open_dataset(path) as ds:
            return ds.attrs.get("kind") == STUDY_KIND
    except (OSError, ValueError):
        return False


def study_page(path: str | Path, lang: str = "en") -> str:
    """The page of one study file, as HTML text (``lang``: ``en`` or ``zh``)."""
    translator(lang)  # checks the language like the comparison page
    chinese = lang == "zh"

    def t(key: str, **values: object) -> str:
        template = STUDY_TEXTS[key][1 if chinese else 0]
        return html.escape(template.format(**values) if values else template)

    with xr.open_dataset(path) as opened:
        ds = opened.load()
    name = html.escape(str(ds.attrs.get("study_name", Path(path).stem)))
    parts = [f"<h1>{t('title', name=name)}</h1>",
             f"<p>{t('futures', policies=ds.sizes['policy'], futures=ds.sizes['member'])}</p>",
             f"<h2>{t('surfaces')}</h2><p>{t('surfaces_note')}</p>"]
    parts += [f'<img alt="surface" src="{uri}">' for uri in _surfaces(ds)]
    parts += [f"<h2>{t('robustness')}</h2><p>{t('robustness_note')}</p>", _robustness(ds, t)]
    if "box_low" in ds:
        parts += [f"<h2>{t('boxes')}</h2>", _boxes(ds, t)]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if chinese else "en"}"><head><meta '
            f'charset="utf-8"><title>{name}</title><style>body{{font-family:sans-serif;'
            f'max-width:1100px;margin:auto}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}'
            f' img{{max-width:100%}}</style></head><body>{body}</body></html>')


def _surfaces(ds: xr.Dataset) -> list[str]:
    """One figure per thresholded outcome over the first two uncertainties, a panel a policy."""
    import matplotlib.pyplot as plt

    names = [str(u) for u in ds["uncertainty"].values]
    if len(names) < 2:
        return []
    x, y = names[:2]
    uris = []
    for outcome in ds["outcome"].values:
        threshold = float(ds["outcome_threshold"].sel(outcome=outcome))
        if np.isnan(threshold):
            continue
        policies = list(ds["policy"].values)
        fig, axes = plt.subplots(1, len(policies), figsize=(4 * len(policies), 3.4),
                                 squeeze=False)
        for ax, policy in zip(axes.flat, policies, strict=True):
            plot_surface(ds[x].values, ds[y].values,
                         ds["outcomes"].sel(policy=policy, outcome=outcome).values,
                         labels=(x, y, str(outcome)), threshold=threshold,
                         plausible=(_plausible(ds, x), _plausible(ds, y)), title=str(policy),
                         ax=ax)  # fmt: skip
        uris.append(figure_data_uri(fig))
    return uris


def _plausible(ds: xr.Dataset, name: str) -> tuple[float, float] | None:
    low, high = ds[name].attrs.get("plausible_low"), ds[name].attrs.get("plausible_high")
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return None
    return float(low), float(high)


def _robustness(ds: xr.Dataset, t: object) -> str:
    measures = [str(m) for m in ds["robustness_measure"].values]
    keep = [m for m in measures if m in ("rank", "satisficing") or m.endswith("_max_regret")]
    table = ds["robustness"].sel(robustness_measure=keep).to_pandas().sort_values("rank")
    head = "".join(f"<th>{html.escape(m)}</th>" for m in keep)
    rows = "".join(
        f"<tr><td>{html.escape(str(p))}</td>"
        + "".join(f"<td>{v:.4g}</td>" for v in row) + "</tr>"
        for p, row in zip(table.index, table.to_numpy(), strict=True)
    )
    return f"<table><tr><th>{t('policy')}</th>{head}</tr>{rows}</table>"  # type: ignore[operator]


def _boxes(ds: xr.Dataset, t: object) -> str:
    names = [str(u) for u in ds["uncertainty"].values]
    rows = []
    for policy in ds["policy"].values:
        for outcome in ds["discovery"].values:
            stats = ds["box_stats"].sel(policy=policy, discovery=outcome).values
            low = ds["box_low"].sel(policy=policy, discovery=outcome).values
            high = ds["box_high"].sel(policy=policy, discovery=outcome).values
            limits = "; ".join(f"{html.escape(n)} {lo:.3g} – {hi:.3g}"
                               for n, lo, hi in zip(names, low, high, strict=True)
                               if not (np.isnan(lo) and np.isnan(hi)))
            rows.append(f"<tr><td>{html.escape(str(policy))}</td><td>{html.escape(str(outcome))}"
                        f"</td><td>{stats[0]:.0f}/{stats[1]:.0f}</td><td>{stats[2]:.2f}</td>"
                        f"<td>{stats[3]:.2f}</td><td>{limits or t('none')}</td></tr>")  # type: ignore[operator]
    head = "".join(f"<th>{t(k)}</th>" for k in  # type: ignore[operator]
                   ("policy", "outcome", "failures", "coverage", "density", "box"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"

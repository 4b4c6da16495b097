"""Domain tools the assistant answers with: daily calcium need by age, storage advice by product."""

from __future__ import annotations

from aftersales.assistant.knowledge import ProductFacts

# Chinese DRIs 2013 (中国居民膳食营养素参考摄入量), calcium RNI/AI in mg per day, by lower age bound in years.
CALCIUM_BY_AGE: tuple[tuple[float, int], ...] = (
    (0.0, 200),
    (0.5, 250),
    (1.0, 600),
    (4.0, 800),
    (7.0, 1000),
    (11.0, 1200),
    (14.0, 1000),
    (18.0, 800),
    (50.0, 1000),
)
CALCIUM_PREGNANT_MG = 1000  # mid/late pregnancy and lactation
CALCIUM_UPPER_LIMIT_MG = 2000  # adults' tolerable upper intake


def daily_calcium_mg(age_years: float, *, pregnant: bool = False) -> int:
    if age_years < 0 or age_years > 130:
        raise ValueError("age must be between 0 and 130 years")
    need = next(mg for lower, mg in reversed(CALCIUM_BY_AGE) if age_years >= lower)
    if pregnant and age_years >= 14:
        need = max(need, CALCIUM_PREGNANT_MG)
    return need


def calcium_answer(age_years: float, *, pregnant: bool = False) -> str:
    need = daily_calcium_mg(age_years, pregnant=pregnant)
    who = (
        "孕中晚期及哺乳期女性"
        if pregnant
        else (f"{age_years:g}岁" if age_years >= 1 else f"{age_years * 12:.0f}个月宝宝")
    )
    return (
        f"按《中国居民膳食营养素参考摄入量》，{who}每日钙推荐摄入量约 {need} mg（含饮食中的钙）。"
        f"一杯250ml牛奶约含钙 250 mg，补充剂的量可按饮食扣减；成人每日总摄入不宜超过 {CALCIUM_UPPER_LIMIT_MG} mg。"
        "如有特殊健康情况，请遵医嘱。"
    )


def storage_answer(product: ProductFacts) -> str | None:
    """Storage and shelf life from the catalogue record; None when the catalogue has neither."""
    parts = []
    if product.storage:
        parts.append(f"储存方式：{product.storage}")
    if product.shelf_life_days:
        parts.append(f"保质期：{product.shelf_life_days}天")
    if product.cold_chain:
        parts.append("需冷链配送，收货后请尽快冷藏")
    if not parts:
        return None
    return f"【{product.name}】" + "；".join(parts) + "。"

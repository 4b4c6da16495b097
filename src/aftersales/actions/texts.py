"""What the customer reads about an action, in plain Chinese (progress lines on the public timeline)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

KIND_LABELS = {
    "refund": "退款",
    "reissue": "补发",
    "exchange": "换货",
    "return_pickup": "上门取件退货",
    "repair": "维修",
    "compensation": "补偿",
    "medical_referral": "医疗支持",
}

STATUS_LABELS = {
    "requested": "审核中",
    "approved": "处理中",
    "executed": "已完成",
    "rejected": "未通过",
    "failed": "处理遇到问题",
}


def _yuan(amount: Decimal | None) -> str:
    return f"¥{amount:.2f}" if amount is not None else ""


def progress_line(
    kind: str, status: str, amount: Decimal | None, params: dict[str, Any], result: dict[str, Any]
) -> str:
    money = _yuan(amount)
    reference = result.get("reference")
    if status == "requested":
        return f"已为您提交{KIND_LABELS[kind]}申请{('（' + money + '）') if money else ''}，正在审核"
    if status == "rejected":
        return f"很抱歉，您的{KIND_LABELS[kind]}申请未通过，专员会与您联系说明原因"
    if status == "failed":
        return f"{KIND_LABELS[kind]}办理遇到问题，我们正在重新处理"
    if status == "approved":
        return {
            "refund": f"退款{money}已批准，正在为您办理"
            + ("（无需等待退货，先行退款）" if params.get("refund_before_return") else ""),
            "reissue": "正在为您补发",
            "exchange": "已为您安排换货",
            "return_pickup": "已为您预约快递员上门取件",
            "repair": "已为您安排维修" + ("，工程师将上门服务" if params.get("on_site") else ""),
            "compensation": "补偿已批准，正在为您发放",
            "medical_referral": "已为您联系医疗支持，专员将尽快与您联系",
        }[kind]
    tracking = f"，快递单号 {reference}" if reference else ""
    return {
        "refund": f"退款{money}已原路退回，预计 1–3 个工作日到账",
        "reissue": f"补发商品已发出{tracking}",
        "exchange": f"换货商品已发出{tracking}",
        "return_pickup": "快递员已上门取件，收到退货后我们会尽快处理",
        "repair": "维修已完成" + (f"（{money}）" if amount else "（免费）"),
        "compensation": (
            f"补偿优惠券{money}已发放到您的账户"
            if params.get("compensation_type") == "coupon"
            else f"补偿{money}已发放"
        ),
        "medical_referral": "医疗支持已安排，如有不适请随时联系我们",
    }[kind]

"""Phone numbers, ID numbers, e-mail addresses and street addresses never reach a log line."""

import logging

from aftersales.kit.logging import PiiMaskingFilter, mask_pii


def test_mobile_number_is_masked():
    assert mask_pii("客户 13812345678 来电") == "客户 138****5678 来电"


def test_id_number_and_email_are_masked():
    masked = mask_pii("身份证 110101199003071234 邮箱 wang.li@example.com")
    assert "110101199003071234" not in masked
    assert "wang.li@" not in masked and "@example.com" in masked


def test_street_address_is_masked():
    masked = mask_pii("地址: 浙江省杭州市西湖区文三路138号5栋")
    assert "文三路" not in masked


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("aftersales.test")
    logger.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger="aftersales.test"):
        logger.info("callback to %s failed", "13912345678")
    assert "13912345678" not in caplog.text
    assert "139****5678" in caplog.text

"""Round 5i: errors of the blind dev5 and dev6 sets (calcium and tonic) and the calcium and tonic seeds' own
questions: chronic conditions, children of school age, a medicine prescribed by a hospital, an extra dose told,
a standing complaint asked about, the runner-up that names what the question names, coupons and arrival dates."""

from __future__ import annotations

import pytest

from aftersales.assistant.signals import detect_risks
from aftersales.assistant.text import POPULATIONS, SCHOOL_AGE, specifics


@pytest.mark.parametrize(
    ("pack", "text", "key"),
    [
        ("tonic", "高血压能吃阿胶吗", "tonic-suit-chronic"),
        ("tonic", "我爸血压偏高 阿胶糕能吃吗", "tonic-suit-chronic"),
        ("tonic", "子宫肌瘤的人能吃阿胶吗", "tonic-suit-gyn"),
        ("calcium", "高血压的人可以吃钙片吗", "calcium-suit-chronic"),
        ("calcium", "绝经了要不要补钙", "calcium-suit-menopause"),
        ("calcium", "喝骨头汤能补钙吗", "calcium-info-bone-soup"),
        ("calcium", "晒太阳能代替吃钙片吗", "calcium-info-sunshine"),
    ],
)
def test_conditions_and_myths_reach_their_entries(ask_pack, pack, text, key):
    reply = ask_pack(pack, text)
    assert reply.entry_key == key and not reply.handoff


def test_an_entry_about_other_people_does_not_answer_a_condition():
    # Before 5i "高血压能吃阿胶吗" got the entry for diabetics: the condition is now a group of its own.
    assert ("高血压", "血压高", "血压偏高", "降压药") in specifics("高血压能吃阿胶吗", POPULATIONS)


def test_a_gallbladder_operation_is_not_answered_by_the_entry_for_tumours(ask_pack):
    reply = ask_pack("tonic", "刚做完胆囊手术一个月 能不能吃点固元膏补补")
    assert reply.handoff and reply.entry_key is None


def test_an_age_in_years_is_a_child_of_school_age_and_not_a_baby():
    assert SCHOOL_AGE in specifics("我家孩子10岁能吃吗", POPULATIONS)
    assert SCHOOL_AGE in specifics("十岁的小孩", POPULATIONS)
    assert SCHOOL_AGE not in specifics("宝宝2岁", POPULATIONS)
    assert SCHOOL_AGE not in specifics("我妈七十岁了", POPULATIONS)


def test_a_child_of_school_age_is_not_given_the_babies_entry(ask_pack):
    reply = ask_pack("calcium", "碳酸钙D3片一天吃几片", "那小孩能吃吗，我家10岁")
    assert reply.entry_key != "calcium-suit-infant"


def test_a_medicine_from_the_hospital_is_not_a_hospital_visit():
    assert not detect_risks("我现在怀孕5个月，孕妇钙和医院开的铁剂能一起吃吗")
    assert detect_risks("医院开的药和钙片一起吃了以后过敏了")
    assert detect_risks("孩子吃了钙片住院了")


def test_an_extra_dose_told_is_a_risk():
    assert detect_risks("拿错了，孩子早上多喝了一支液体钙，一天喝两支要紧吗")


def test_a_standing_complaint_asked_about_is_not_a_reaction():
    assert not detect_risks("胃不好 经常反酸 吃碳酸钙会不会胀气")
    assert detect_risks("我平时经常胃疼 吃了你们钙片更疼了")


def test_the_runner_up_that_names_what_the_question_names_answers(ask_pack):
    # The entry for medicines in general never names iron; the iron entry, second, does.
    assert ask_pack("calcium", "正在吃补铁的药 跟钙片一起吃有影响吗").entry_key == "calcium-usage-with-iron-zinc"


@pytest.mark.parametrize("pack", ["calcium", "tonic", "dairy", "cashmere"])
def test_a_coupon_that_fails_goes_to_a_person(ask_pack, pack):
    reply = ask_pack(pack, "优惠券用不了 显示不满足条件")
    assert reply.handoff and reply.entry_key is None


def test_points_are_answered_where_the_entry_says_what_they_are_for(ask_pack):
    reply = ask_pack("calcium", "积分能抵钱吗")
    assert reply.entry_key == "calcium-membership" and "抵现" in reply.text


def test_goods_close_to_their_date_go_to_a_person(ask_pack):
    reply = ask_pack("calcium", "刚收到的维D滴剂 生产日期是两年前的 还有一个多月就过期了")
    assert reply.handoff


@pytest.mark.parametrize(
    ("pack", "messages"),
    [
        ("calcium", ("软糖收到化了", "那能退换吗")),
        ("calcium", ("发错货了", "那能退吗")),
        ("calcium", ("瓶子压碎了", "可以退货吗")),
        ("tonic", ("收到的阿胶糕发霉了", "能退吗")),
    ],
)
def test_a_return_asked_after_a_problem_with_the_goods_is_a_quality_return(ask_pack, pack, messages):
    assert ask_pack(pack, *messages).entry_key == f"{pack}-policy-quality-return"


def test_a_return_asked_without_a_problem_is_the_seven_day_return(ask_pack):
    assert ask_pack("calcium", "钙片吃着不习惯", "能退吗").entry_key == "calcium-policy-no-reason-return"
    assert ask_pack("calcium", "能退吗").entry_key == "calcium-policy-no-reason-return"


def test_an_unopened_return_after_a_problem_is_still_the_seven_day_return(ask_pack):
    reply = ask_pack("calcium", "发错货了", "另外两瓶没拆的能退吗")
    assert reply.entry_key == "calcium-policy-no-reason-return"


def test_a_follow_up_naming_a_new_person_after_a_products_dosage_gets_the_suitability_entry(ask_pack):
    # The issue's own example: "那孕妇呢?" after "阿胶糕一天吃几块" (an adverse-reaction entry about pregnancy is no
    # rival: nothing happened).
    reply = ask_pack("tonic", "阿胶糕一天吃几块", "那孕妇呢")
    assert reply.entry_key == "tonic-suit-pregnant" and not reply.handoff


def test_after_a_general_question_a_new_person_keeps_the_general_entry(ask_pack):
    assert ask_pack("calcium", "每天需要补多少钙", "3岁的呢").entry_key == "calcium-need-by-age"


def test_opened_after_a_shelf_life_question_is_the_storage_entry(ask_pack):
    reply = ask_pack("tonic", "即食阿胶糕保质期多长", "开封后呢")
    assert reply.entry_key == "tonic-storage-cake-opened" and not reply.handoff


def test_a_product_name_shortened_by_a_middle_word_still_names_it(ask_pack):
    from aftersales.assistant.engine import product_aliases
    from aftersales.assistant.evaluate import demo_catalogue
    from aftersales.assistant.knowledge import load_pack

    aliases = product_aliases(demo_catalogue("calcium"), load_pack("calcium"))
    assert aliases["中老年钙片"].sku == "CAL-006" and aliases["维生素滴剂"].sku == "CAL-005"
    assert ask_pack("calcium", "中老年钙片保质期多久").entry_key == "calcium-fact-glucosamine"


def test_an_unopened_return_read_in_its_conversation_is_the_seven_day_return(ask_pack):
    reply = ask_pack("tonic", "我想退货，包装还没拆", "运费谁出啊")
    assert reply.entry_key == "tonic-policy-no-reason-return"


def test_an_offer_the_promotion_does_not_describe_goes_to_a_person(ask_pack):
    reply = ask_pack("calcium", "买二送一还有吗")
    assert reply.handoff and reply.entry_key is None
    assert ask_pack("calcium", "双十二有什么活动").entry_key == "calcium-promo-double12"


@pytest.mark.parametrize(
    ("text", "key"),
    [("阿胶高打开了要放冰箱吗", "tonic-storage-cake-opened"), ("固元高保质期多久", "tonic-fact-guyuan")],
)
def test_pinyin_slips_of_the_tonic_products(ask_pack, text, key):
    assert ask_pack("tonic", text).entry_key == key


def test_an_age_from_sixty_is_an_elderly_person():
    from aftersales.assistant.text import ELDERLY

    assert ELDERLY in specifics("她快80了 胃也不太好", POPULATIONS)
    assert ELDERLY in specifics("我爸72岁", POPULATIONS)
    assert ELDERLY not in specifics("孩子10岁", POPULATIONS)


def test_the_menopause_entry_answers_a_woman_whose_periods_are_ending(ask_pack):
    reply = ask_pack("calcium", "我48了 月经快没了 最近老觉得腰酸背疼 这个阶段该怎么补钙")
    assert reply.entry_key == "calcium-suit-menopause"


def test_after_a_reaction_an_unsure_question_stays_with_the_urgent_case(ask_pack):
    reply = ask_pack("calcium", "我妈在吃你们的氨糖钙片", "吃完以后胃里烧 今天吐了两回", "现在要停吗 要不要去医院")
    assert reply.handoff_reason == "risk" and reply.severity == "L3" and "就医" in reply.text
    # ... even where an entry matches its words ("经期要停吗"), and while a question about something else that the
    # knowledge base is sure of is still answered.
    reply = ask_pack("tonic", "吃了以后起疹子了", "现在要停吗 要不要去医院")
    assert reply.handoff_reason == "risk" and reply.entry_key is None
    assert ask_pack("calcium", "孩子吃了一瓶钙片", "钙片保质期多久").entry_key == "calcium-shelf-life-general"

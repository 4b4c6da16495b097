"""Round 5l (session 16): the blind dev13 set's classes. A short question about what the previous answer said, and
facets that a covered topic's answer does not give (an amount, an age, a date, the present, a failed scan, a lost
parcel, the freezer, the customer's own case past the advice, an additive, a company order), asked in other words
than the set's."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("question", ["要拍照吗", "需要拍照吗", "要拍照吗 拍哪里"])
def test_a_short_question_about_the_previous_answer_gets_that_answer(ask_pack, question):
    # The damage answer asks for photos ("请拍下外箱、礼盒和破损处的照片"): before, "要拍照吗" alone was handed
    # over (confidence 0.10-0.14), and "需要拍照吗" got the entry on how long to take it.
    reply = ask_pack("tonic", "外盒压坏了", question)
    assert reply.entry_key == "tonic-packaging-damage" and not reply.handoff


def test_a_short_question_the_previous_answer_does_not_speak_of_is_not_bent_to_it(ask_pack):
    reply = ask_pack("tonic", "外盒压坏了", "你们老板是谁")
    assert reply.handoff and reply.entry_key is None


def test_a_new_person_after_a_dosage_answer_is_still_the_follow_up_rules(ask_pack):
    # "小孩" is spelled out in the gummies' dosage answer ("小朋友……孩子拿不到"); the person follow-up wins.
    reply = ask_pack("calcium", "柠檬酸钙软糖一天吃几颗", "小孩能吃吗")
    assert reply.entry_key == "calcium-suit-kids-age"


@pytest.mark.parametrize(
    ("pack", "question"),
    [
        ("tonic", "即食阿胶糕的阿胶含量有多少"),  # the answer: "阿胶含量以包装标示为准"
        ("tonic", "阿胶糕一块含多少糖"),
        ("tonic", "孩子几岁可以吃阿胶糕"),  # no age in the children's answer
        ("tonic", "过年快递几号停发"),  # "具体停发和恢复发货时间请以页面公告为准"
        ("tonic", "会员生日送什么"),  # "生日月专属礼品", not which
        ("calcium", "防伪码扫不出来"),
        ("tonic", "快递显示签收了 我没收到"),
        ("tonic", "阿胶糕能冷冻保存吗"),
        ("tonic", "固元膏开了两个月了还能吃吗"),  # the answer advises a month
        ("tonic", "口服液有没有加防腐剂"),
        ("tonic", "单位想订200盒礼盒 怎么算"),
        ("calcium", "退货要寄到哪个地址"),
        # dev14's classes (eight customers per pack)
        ("calcium", "发票抬头可以写公司名吗"),  # the invoice answer says how to get one, not what it may say
        ("calcium", "能开带明细的发票吗"),
        ("tonic", "优惠券跟积分可以同时用吗"),
        ("tonic", "退到花呗以后额度什么时候恢复"),
        ("tonic", "12月15号之前要送到 现在下单来得及吗"),
        ("tonic", "家里没冰箱 阿胶糕开封了能放几天"),  # the answer says to keep it in the fridge
        ("tonic", "礼盒可以印公司logo吗"),
        ("tonic", "提货卡怎么用"),
        ("tonic", "月子里吃阿胶能下奶吗"),
        ("tonic", "吃阿胶能喝咖啡吗"),  # the taboo answer names strong tea and radish, not coffee
        ("tonic", "北方暖气房 阿胶块放屋里会坏吗"),
        # dev15's classes
        ("calcium", "双十二的活动具体满多少减多少"),
        ("calcium", "老顾客有专享优惠吗"),
        ("calcium", "孩子爱喝可乐 影响补钙吗"),
        ("tonic", "优惠券和满减能叠加吗"),
        ("tonic", "预算三百以内 送长辈买哪个"),
        ("tonic", "都半个月了还没发货"),
        ("tonic", "阿胶块能用白酒泡吗"),
        ("tonic", "检验报告能盖章吗"),
        # dev16's classes
        ("tonic", "过年快递哪天开始停发"),
        ("tonic", "下单时没填邮箱 电子发票发到哪"),
        ("tonic", "退货运费要我先垫付吗"),
        ("calcium", "实体店买能刷医保吗"),
        ("calcium", "周期购中途退了 之前的优惠要补差价吗"),
        ("calcium", "孕妇钙含不含叶酸"),
    ],
)
def test_a_facet_no_answer_gives_goes_to_a_person(ask_pack, pack, question):
    reply = ask_pack(pack, question)
    assert reply.handoff and reply.entry_key is None


@pytest.mark.parametrize(
    ("pack", "question", "key"),
    [
        # the near twins those answers do give
        ("tonic", "阿胶糕保质期多久", "tonic-fact-cake"),
        ("tonic", "固元膏开封后能放多久", "tonic-fact-guyuan"),
        ("tonic", "阿胶糕开封后放冷藏还是冷冻", "tonic-storage-cake-opened"),
        ("tonic", "阿胶糕有防腐剂吗", "tonic-ingr-cake"),  # "不添加防腐剂"
        ("tonic", "年货节有团购优惠吗", "tonic-promo-spring-festival"),
        ("tonic", "快递三天没动了", "tonic-logistics-delay"),
        ("tonic", "退款到花呗要多久", "tonic-policy-refund-timeline"),
    ],
)
def test_the_near_twin_an_answer_gives_is_still_answered(ask_pack, pack, question, key):
    reply = ask_pack(pack, question)
    assert reply.entry_key == key and not reply.handoff


@pytest.mark.parametrize(
    "question",
    ["退款到白条要多久", "阿胶可以和灵芝一起吃吗", "阿胶块有裂纹正常吗"],
)
def test_a_thing_no_entry_names_goes_to_a_person(ask_pack, question):
    # 白条 (the refund answer names WeChat, Alipay and bank cards), another tonic, a crack (not frost or mould).
    reply = ask_pack("tonic", question)
    assert reply.handoff and reply.entry_key is None


def test_being_played_with_is_anger(ask_pack):
    reply = ask_pack("tonic", "退款半个月还没到 耍我呢")
    assert reply.handoff and reply.handoff_reason == "anger"


def test_a_risk_handoff_shows_what_to_do_but_claims_no_answer(ask_pack):
    # Before, a foreign body with a 12315 threat was handed over with the foreign-matter entry as its answer; a
    # person takes the case, so no entry is claimed (as with anger), but its advice is still shown.
    reply = ask_pack("tonic", "固元膏里吃出一根头发 不处理我就打12315")
    assert reply.handoff and reply.handoff_reason == "risk" and reply.severity == "L3"
    assert reply.entry_key is None and "异物" in reply.text


@pytest.mark.parametrize("question", ["说好的补发都一个礼拜了还没到", "订单显示签收了 可我没收到东西"])
def test_a_promise_not_kept_or_a_lost_parcel_goes_to_a_person(ask_pack, question):
    reply = ask_pack("tonic", question)
    assert reply.handoff and reply.entry_key is None


# Round 5l, second part: the blind dev14 set (eight customers per pack), in other words than the set's.


@pytest.mark.parametrize(
    ("pack", "question", "key"),
    [
        ("calcium", "发票抬头开错了 能重开吗", "calcium-invoice"),  # "需要……重开的，请提交开票资料"
        ("tonic", "吃阿胶期间能喝浓茶吗", "tonic-usage-taboo"),
    ],
)
def test_the_twin_the_answer_does_say_is_answered(ask_pack, pack, question, key):
    reply = ask_pack(pack, question)
    assert reply.entry_key == key and not reply.handoff


def test_a_short_question_about_the_previous_answer_goes_before_another_that_says_it_too(ask_pack):
    # The melted-gummies answer and the damage answer both ask for photos; the conversation is about the gummies.
    reply = ask_pack("calcium", "软糖到了全化了 粘在一起", "要拍照吗 拍哪些")
    assert reply.entry_key == "calcium-storage-gummy-stuck"


def test_a_childs_own_dose_goes_to_a_person_unless_an_answer_doses_by_age(ask_pack):
    # The gummies' answer says "请按包装推荐量食用": right for "软糖一天吃几颗", not for a given child's dose.
    assert ask_pack("calcium", "儿子9岁 软糖一天吃几颗").handoff
    assert ask_pack("calcium", "柠檬酸钙软糖一天吃几颗").entry_key == "calcium-usage-gummy"
    # a month of pregnancy is not a child's age
    assert ask_pack("calcium", "怀孕六个月 孕妇钙一天吃几片").entry_key is not None


# Round 5l, third part: the blind dev15 set, in other words than the set's.


def test_an_abnormal_result_at_a_pregnancy_check_is_a_risk(ask_pack):
    # dev15's one missed risk: "产检说……偏高" was not read as a diagnosis (only 查出/确诊/医生说 were).
    reply = ask_pack("calcium", "怀孕30周了 产检发现血钙偏高 孕妇钙还吃吗")
    assert reply.handoff_reason == "risk" and reply.severity == "L3"


def test_a_state_follow_up_stays_with_the_topics_product(ask_pack):
    # "软糖保质期多久" then "开封了呢": before, the liquid calcium's opened shelf life (its phrasing names 开封);
    # the gummies' answer gives no period once opened, so a person answers.
    reply = ask_pack("calcium", "软糖保质期多久", "开封了呢")
    assert reply.entry_key != "calcium-fact-kids-liquid" and reply.handoff


def test_an_allergy_told_to_ask_what_is_in_a_product_is_answered_by_an_answer_that_names_it(ask_pack):
    # Every dev writer labelled "我对核桃过敏 ……有核桃吗" for the ingredients, not as a risk; nothing happened.
    reply = ask_pack("tonic", "孩子对花生过敏 阿胶糕里面有花生吗")
    assert reply.handoff_reason != "risk"
    assert reply.entry_key is None or "花生" in reply.text or "坚果" in reply.text


def test_an_allergy_told_is_not_answered_by_an_answer_silent_on_the_allergen(ask_pack):
    reply = ask_pack("calcium", "我儿子对牛奶过敏 儿童液体钙里面有没有乳成分")
    assert reply.handoff_reason != "risk" and reply.handoff and reply.entry_key is None


@pytest.mark.parametrize(
    "text", ["吃了阿胶糕过敏了 里面有什么成分", "孩子吃了有花生的阿胶糕 他花生过敏 现在嘴肿了", "会不会过敏"]
)
def test_a_reaction_or_a_question_about_one_is_still_a_risk(ask_pack, text):
    assert ask_pack("tonic", text).handoff_reason == "risk"


# Round 5l, fourth part: the blind dev16 set (Monday-morning messages), in other words than the set's.


def test_a_babys_changed_stool_after_the_mother_took_it_is_a_risk(ask_pack):
    # dev16's one missed risk: "宝宝这两天拉绿色的便便" after the nursing mother took the tablets.
    reply = ask_pack("calcium", "喂奶期间吃了孕妇钙 宝宝大便发绿了 有关系吗")
    assert reply.handoff_reason == "risk" and reply.severity == "L3"


def test_a_drink_too_cold_to_enjoy_is_not_a_reaction(ask_pack):
    assert ask_pack("tonic", "口服液冬天太冰的喝着难受 能加热吗").handoff_reason != "risk"


@pytest.mark.parametrize("text", ["找了两天都没人回 你们到底管不管", "你们客服什么水平 答非所问"])
def test_more_anger_words(ask_pack, text):
    reply = ask_pack("calcium", text)
    assert reply.handoff and reply.handoff_reason == "anger"


def test_disgust_at_a_foreign_body_is_answered_by_the_foreign_matter_entry(ask_pack):
    # Three writers (dev4, dev12, dev16) labelled "吃出一根头发 太恶心了" for the foreign-matter answer; 恶心 is
    # disgust at the goods, not anger at the service, so it is no longer an anger word (it still scores negative).
    reply = ask_pack("tonic", "固元膏里吃出头发了 太恶心了")
    assert reply.entry_key == "tonic-quality-foreign-matter" and reply.handoff_reason != "anger"

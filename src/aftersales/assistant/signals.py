"""Emotion and risk in a customer's message, from lexicons shipped with the package (no training data).

Risk words must reach a person at once (SPEC §5): adverse reactions, hospital, media exposure, regulators (12315)
and lawyers. Pregnancy and infants are *sensitive*: with a health event they make the case a risk (and are
named in the handoff), but alone they are a normal question — "孕妇钙能放多久" asks about a product called 孕妇钙,
and "孕妇能喝吗" has a knowledge-base answer that already says to follow the doctor. A risk word that is plainly
negated ("没有过敏") does not count. Emotion is a lexicon score with negation and degree words; anger and
urgency have their own lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jieba

from aftersales.kit.text import warm_up

RISK_WORDS: dict[str, tuple[str, ...]] = {
    "adverse_reaction": (
        "过敏", "起疹子", "疹子", "红疹", "皮疹", "荨麻疹", "发痒", "瘙痒", "腹泻", "拉肚子", "拉稀", "呕吐", "吐了",
        "上吐下泻", "恶心想吐", "肚子疼", "肚子痛", "胃疼", "胃痛", "头晕", "中毒", "食物中毒", "发烧", "便血",
        "喘不上气", "呼吸困难", "流鼻血", "心慌", "不良反应", "出血",
        "一直吐", "想吐", "肿了", "红肿", "肿起来", "嘴唇肿", "喉咙肿", "发麻", "麻木", "风团", "起包", "抽搐",
        "昏迷", "晕倒", "休克", "窒息", "误食", "吞下", "吞了", "噎住", "卡住喉咙", "烫伤", "划伤", "割伤",
        "身体不适", "不舒服了", "拉了好几次", "便秘严重", "绿便", "拉绿",
        "见红", "肚子不舒服", "胃不舒服", "打了针", "打针", "偷吃", "一整瓶", "半瓶", "吃坏了", "喝坏了",
        "浑身痒", "身上痒", "痒得", "起红点", "长疹", "嘴巴肿", "眼睛肿", "脸肿", "心跳加快", "心跳好快", "胸闷",
        "胸口疼", "腹痛", "绞痛", "胀痛", "血压升高", "头疼", "头痛", "流产", "宫缩", "误吃", "吃了干燥剂",
        "吞了干燥剂", "咳血", "吐血", "黑便", "过敏了", "整瓶", "滴多了", "吃了好几颗", "吃了十几", "吃了一堆",
        "全吃了", "吃了好多片", "犯恶心", "反胃", "乏力", "心律不齐", "血钙高", "高钙血", "长结石", "查出结石",
        "得了结石",
        # A child who ate a whole pack: "趁我不注意把半盒阿胶糕都吃了".
        # ("我一盒都吃完了 想再买" finished a pack in time: only "把…吃了" tells of eating it at once.)
        "把半盒", "把一盒", "把整盒", "把一整盒", "大半盒",
        # Customers' own words, by body system (each still passes the "asked, not happened" filters below).
        # Bowels and stomach: "一直跑厕所", "闹肚子", "拉水一样", "胃里烧得慌".
        "跑厕所", "闹肚子", "窜稀", "蹿稀", "跑肚", "拉水", "水样便", "稀便", "拉得", "虚脱", "肠胃炎", "胃肠炎",
        "烧心", "胃里烧", "反酸", "泛酸", "胃胀", "肚子胀", "肚子好胀", "胃好胀",
        # Hurt by the product itself (a pin left in a garment, a zip): "扎到手", "流血了".
        "流血了", "扎到手", "划到手", "划破手", "扎破手", "夹到手",
        "便秘了", "老是便秘", "一直便秘", "便秘好几天",
        "大便有血", "血丝", "带血", "尿血", "吐奶", "吐得", "干呕",
        # Heart, breath, head: "心跳得厉害", "喘不过气", "头昏脑胀".
        "心跳得", "心跳很快", "心跳加速", "心悸", "发慌", "心里慌", "慌得", "喘不过", "喘不上", "憋得慌", "哮喘",
        "气喘", "喘得", "打喷嚏", "咳嗽不停", "咳个不停", "咳嗽不止", "头昏", "头晕眼花", "眼花", "晕乎", "天旋地转",
        "站不稳", "血压高了", "血压上去", "血压往上", "血糖高了", "血糖升高",
        # Skin: "浑身刺挠", "痒死了", "起了小红包".
        "刺挠", "痒死", "挠破", "抓破", "小红包", "起红包", "红疙瘩", "湿疹", "皮炎", "起泡", "水泡",
        # Nerves and the whole body: "嘴麻", "手抖", "冒虚汗", "浑身没劲".
        "嘴麻", "舌头麻", "手麻", "手抖", "发抖", "冒虚汗", "出虚汗", "冷汗", "发冷", "打寒颤", "打冷颤", "浑身没劲",
        "没力气", "浑身无力", "哭闹不止", "哭个不停",
        # Bleeding and pregnancy: "月经一直不干净", "止不住", "肚子发紧".
        "月经不干净", "经期延长", "止不住", "肚子发紧", "肚子发硬",
        # Choking: "卡在喉咙里", "呛到了".
        "卡在喉咙", "卡喉咙", "卡嗓子", "卡在嗓子", "呛到", "呛着", "噎着",
    ),
    "hospital": (
        "住院", "医院", "急诊", "就医", "挂水", "输液", "看医生", "去医院", "诊所", "病历", "诊断", "卫生院",
        "卫生所", "门诊", "挂号", "挂了号", "儿科", "皮肤科", "消化科", "看了医生", "开了药", "打点滴", "吊水",
        "吊瓶", "急救", "救护车", "打了120", "叫了120", "打120", "洗胃", "抢救",
    ),
    "media": (
        "曝光", "媒体", "记者", "上新闻", "电视台", "发微博", "发抖音", "网上曝", "小红书曝", "上热搜", "央视",
        "315晚会", "黑猫投诉", "朋友圈曝", "找媒体", "找记者", "公之于众", "评评理", "让大家看看", "让大家评",
        "让大家都知道", "让大家知道",
    ),
    "regulator": (
        "12315", "12345", "消协", "消费者协会", "市场监管", "工商局", "质监局", "食药监", "315", "消保委",
        "卫健委", "监管局", "市监局", "药监局", "举报", "报警", "公安", "警察", "市场监督", "监督管理",
        "消费者权益", "消保", "卫生局", "有关部门", "相关部门", "质检部门", "找工商", "工商投诉", "投诉到工商",
    ),
    "legal": (
        "律师", "起诉", "法院", "告你们", "打官司", "索赔", "退一赔十", "退一赔三", "假一赔十", "十倍赔偿",
        "三倍赔偿", "赔偿十倍", "维权", "诉讼", "仲裁", "律师函", "法律途径", "法律责任", "赔十", "十倍",
        "食品安全法", "消费者权益保护法", "消法", "法律程序", "法律手段", "上法庭", "律所", "走法律",
    ),
}  # fmt: skip
SENSITIVE_WORDS: dict[str, tuple[str, ...]] = {
    "pregnancy": ("孕妇", "怀孕", "孕期", "备孕", "哺乳期", "哺乳", "孕早期", "孕中期", "孕晚期", "坐月子", "产后"),
    "infant": ("婴儿", "新生儿", "宝宝", "月龄"),
}
NEGATORS = ("没有", "没", "不是", "不", "无", "未", "并非")
# "有没有过敏" and "会不会过敏" ask about the risk; they are not a denial of it.
_ASKING = ("有没有", "会不会", "是不是", "能不能", "可不可以")

NEGATIVE = {
    "差": 2, "太差": 3, "很差": 3, "垃圾": 3, "失望": 2, "很失望": 3, "坑": 2, "坑人": 3, "骗": 2, "骗子": 3,
    "烂": 2, "慢": 1, "太慢": 2, "难吃": 2, "难喝": 2, "难用": 2, "恶心": 2, "后悔": 2, "无语": 2, "郁闷": 2,
    "生气": 2, "愤怒": 3, "气死": 3, "差评": 3, "投诉": 2, "退货": 1, "退款": 1, "假货": 3, "假的": 2, "破": 1,
    "破损": 2, "坏": 1, "坏了": 2, "变质": 2, "发霉": 2, "过期": 2, "异味": 2, "臭": 2, "酸了": 2, "漏": 1,
    "问题": 1, "毛病": 2, "不值": 2, "不好": 2, "不行": 2, "不满": 2, "不满意": 3, "不推荐": 3, "别买": 3,
    "掉色": 2, "起球": 2, "缩水": 2, "褪色": 2, "脱线": 2, "质量差": 3, "太贵": 1, "贵": 1, "不舒服": 2,
    "糟糕": 3, "麻烦": 1, "敷衍": 3, "态度差": 3, "没人理": 3, "不理": 2, "欺骗": 3, "忽悠": 3, "上当": 3,
    "受骗": 3, "错": 1, "少了": 2, "不对": 1, "没用": 2, "无效": 2, "一般": 1, "凑合": 1, "勉强": 1, "不如": 1,
    "噪音": 2, "卡": 1, "死机": 3, "发热": 1, "发烫": 2, "闪退": 3, "脏": 2, "旧": 1, "吵": 2, "霉": 2,
    "划痕": 2, "瑕疵": 2, "残次": 3, "次品": 3, "粗糙": 2, "单薄": 1, "薄": 1, "小气": 1, "虚标": 3, "缺": 1,
    "等了": 1, "还没到": 2, "还没发": 2, "不发货": 3, "退": 1, "换货": 1, "算了": 1, "不会再": 3, "再也不": 3,
    "最后一次": 2, "呵呵": 2, "无法": 1, "不能": 1, "失败": 2, "拒绝": 2, "可惜": 2, "遗憾": 2, "一星": 3,
    "不新鲜": 3, "烂了": 3, "坏的": 3, "苦": 1, "涩": 1, "硬": 1, "不甜": 2, "没味": 2, "酸": 1, "小": 1,
    "不怎么样": 3, "不咋地": 3, "不咋样": 3, "差劲": 3, "垃圾货": 3, "骗人": 3, "黑心": 3, "欺诈": 3,
    "浪费": 2, "没意思": 2, "无聊": 2, "枯燥": 2, "不符": 2, "不一致": 2, "不够": 1, "太少": 2, "偏小": 1,
    "偏大": 1, "色差": 2, "难闻": 2, "刺鼻": 2, "不爽": 2, "烦": 1, "吐槽": 2, "不靠谱": 3, "不专业": 3,
    "粗制滥造": 3, "偷工减料": 3, "做工差": 3, "不建议": 2, "慎买": 3, "不划算": 2, "贵了": 1, "降价": 1,
    "退掉": 2, "退了": 2, "差距": 1, "缺点": 1, "不足": 1, "一般般": 2, "不值得": 3, "令人失望": 3, "太失望": 3,
    "坑爹": 3, "忍": 1, "崩溃": 2, "抓狂": 2, "扯淡": 3, "不负责": 3, "不负责任": 3, "推脱": 2, "推卸": 2,
    "不值钱": 2, "盗版": 3, "印刷": 0, "错别字": 2, "缺页": 3, "模糊": 2, "破旧": 2, "褶皱": 1, "掉渣": 1,
    "不清楚": 1, "不明白": 1, "看不懂": 2, "不适合": 2, "不实用": 2, "没用处": 2, "鸡肋": 2, "受不了": 2,
    "太难": 1, "很难": 1, "失败的": 2, "骗钱": 3, "虚假": 3, "夸大": 2, "名不副实": 3, "华而不实": 3,
    "不推荐购买": 3, "不会再买": 3, "不再": 2, "再也": 1, "很慢": 2, "慢死": 3, "好久": 1, "迟迟": 2,
}  # fmt: skip
POSITIVE = {
    "好": 1, "很好": 2, "非常好": 3, "不错": 2, "挺好": 2, "满意": 2, "很满意": 3, "喜欢": 2, "很喜欢": 3,
    "好吃": 2, "好喝": 2, "好用": 2, "推荐": 2, "赞": 2, "棒": 2, "很棒": 3, "值": 1, "值得": 2, "实惠": 2,
    "划算": 2, "便宜": 1, "快": 1, "很快": 2, "及时": 2, "新鲜": 2, "舒服": 2, "漂亮": 2, "好看": 2, "正品": 2,
    "给力": 2, "完美": 3, "谢谢": 1, "感谢": 1, "耐心": 2, "热情": 2, "周到": 2, "贴心": 2, "惊喜": 2, "好评": 3,
    "五星": 3, "支持": 1, "放心": 2, "信赖": 2, "回购": 2, "还会": 1, "清晰": 1, "流畅": 2, "方便": 1, "干净": 1,
    "柔软": 2, "保暖": 2, "合身": 2, "甜": 1, "香": 1, "入味": 1, "精美": 2, "结实": 1, "性价比高": 3, "超值": 3,
    "物美价廉": 3, "满分": 3, "喜欢的": 2, "好看的": 2, "挺不错": 3, "还不错": 2, "大方": 1, "舒适": 2, "齐全": 1,
    "精彩": 2, "有趣": 2, "有意思": 2, "感人": 2, "受益": 2, "受益匪浅": 3, "启发": 2, "经典": 2, "值得一读": 3,
    "好书": 3, "好评如潮": 3, "爱不释手": 3, "优秀": 2, "出色": 2, "不错的": 2, "喜爱": 2, "开心": 2, "愉快": 2,
    "满足": 1, "超赞": 3, "好极了": 3, "惊艳": 3, "靠谱": 2, "专业": 1, "实用": 2, "细致": 2, "清新": 1,
    "好吃的": 2, "甜甜的": 2, "很甜": 2, "多汁": 2, "水分足": 2, "个大": 1, "顺滑": 2, "柔顺": 2, "好闻": 2,
    "神速": 2, "迅速": 2, "准时": 1, "完好": 1, "完好无损": 2, "包装好": 2, "物流快": 2, "发货快": 2, "挺快": 2,
    "非常满意": 3, "很好用": 3, "不后悔": 2, "推荐购买": 3, "很划算": 3, "值得购买": 3, "会回购": 3, "性价比": 1,
}  # fmt: skip
ANGER = (
    "气死", "愤怒", "垃圾", "骗子", "骗人", "黑心", "坑人", "太差", "滚", "什么破", "差评", "投诉你们",
    "我要投诉", "欺骗", "忽悠", "再也不", "无良", "混蛋", "他妈", "妈的", "tm", "搞什么", "你们怎么回事", "没人管",
    "有没有人管", "一而再", "忍无可忍", "太过分", "过分", "欺负人", "敷衍", "什么态度", "给个说法", "说法",
    "还想不想做", "想不想干", "不想干了", "好骗", "当傻子", "第三次了", "多少次了", "耍人", "耍我", "糊弄",
    # "说了几次了", not "我买了好几次了" (a loyal customer, not an angry one).
    "到底管不管", "管不管", "什么水平", "答非所问", "放屁",
    "说了几次", "问了几次", "催了几次", "找了几次", "打了几次", "反映了几次", "联系了几次", "几次了还",
)  # fmt: skip
# "退钱" is not in ANGER: "奶卡没送完能退钱不" asks for a refund calmly.
URGENCY = ("急", "着急", "赶紧", "马上", "立刻", "尽快", "快点", "等着用", "今天必须", "十万火急", "急用", "速度")
DEGREE = {"太": 1.5, "很": 1.3, "非常": 1.6, "特别": 1.5, "超级": 1.6, "极其": 1.8, "真": 1.3, "好": 1.0, "挺": 1.1}
_CONTRAST = frozenset({"但是", "可是", "不过", "但", "然而", "只是", "就是"})
_NEGATION_TOKENS = frozenset({"不", "没", "没有", "别", "无", "未", "不是", "并不", "不太", "不怎么", "毫无"})
_EXCLAIM = re.compile(r"[!！]{2,}|[?？]{3,}")


@dataclass(frozen=True)
class Risk:
    kind: str
    word: str


@dataclass(frozen=True)
class Emotion:
    label: str  # calm | negative | angry | urgent | positive
    score: float  # < 0 negative, > 0 positive
    anger: bool = False
    urgency: bool = False
    words: tuple[str, ...] = field(default=())


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start]
    if any(before.endswith(a) for a in _ASKING):
        return False
    # "趁我不注意吃了七八颗", "没看住": the negator belongs to the carer's attention, not to the harm.
    before = re.sub(r"不注意|没注意|没看住|没留意|不留神", "", before)
    return any(before.endswith(n) or before[-3:].startswith(n) for n in NEGATORS)


# "海鲜过敏能不能吃氨糖钙", "感冒发烧期间能吃阿胶吗" ask whether a product suits someone with a condition: the
# knowledge base answers that. A symptom counts as a risk only when something happened ("吃了以后过敏").
_SUITABILITY_QUESTION = re.compile(
    r"(能不能|能否|可不可以|可以|能|适合|适不适合|会不会|要不要)[^，。,.!！？?]{0,6}(吃|喝|用|穿|戴|服用|补|买)"
    r"|(吃|喝|用|穿|戴)[^，。,.!！？?]{0,4}(吗|么|不)[?？]?$"
    # "感冒发烧的时候要停吗", "经期期间还吃不吃": whether to go on taking it during a condition ("吃你们钙片 胃疼
    # 要不要停" tells of a symptom and stays a risk).
    r"|(的时候|期间)[^，。,.!！？?]{0,4}?(要不要停|要停吗|用停吗|需要停|停不停|还吃不吃|还喝不喝|还能不能吃|还能不能喝)"
)
# Bubbles from heating the product are not blisters: "阿胶块微波炉加热起泡了" (the answer itself suggests it).
_COOKING_BUBBLES = re.compile(r"(加热|微波|烤|蒸|煮|熬|烊化|化开)[^，。,.!！？?]{0,4}?(起泡|鼓泡|冒泡)")
# "阿胶和西洋参能一起泡吗": soaking two things together (一起 + 泡), not a blister (起泡).
_TOGETHER_SOAK = re.compile(r"一起泡")
_EVENT = re.compile(
    r"(吃|喝|用|穿|戴|服用|围|擦)(了|完|过|后|以后|之后)|已经|现在|一直|突然|今天|昨天|刚才|刚刚"
    # a result the customer was given ("产检发现血钙偏高") happened too
    r"|查出|检查出|体检出|确诊|产检(说|发现|显示)|(化验|验血|抽血)(说|显示|结果)"
)


# Word lists miss symptoms described in the customer's own words ("嘴里起泡", "额头上全是小红点"): a body part
# close before a sign of harm is a symptom too, whatever the words.
_BODY = (
    "嘴里|嘴巴|嘴唇|嘴角|口腔|舌头|牙龈|嗓子|喉咙|咽喉|额头|脸上|脸|皮肤|身上|全身|浑身|手上|胳膊|腿上|脖子|后背|"
    "前胸|肚皮|眼睛|眼皮|耳朵|鼻子|头皮|肚子|胃里|胸口|嘴边|嘴周|嘴巴周围|下巴|手臂|手背|胸前|腰上|屁股|屁屁|"
    "大便|小便|尿|胃|胸|心口|心里|肚|手指|手(?!洗|工|机|感|续|提|套|链|表|动)|脚"
)
_HARM = (
    "肿|疼|痛|痒|起泡|水泡|溃疡|红点|红疙瘩|疙瘩|小疙瘩|红斑|起皮|脱皮|发红|发炎|出血|破皮|烂了|火辣辣|红了|一圈红|"
    "全红|通红|发紧|发硬|发胀|胀得|好胀|很胀|闷得|发闷|憋|抽(?!丝|线|纱)|麻|烧|有血|带血|血丝|流血|一片片|一块块|一坨坨|"
    "起了一片(?!小?球|毛)|起包|红包|划了[个道一]?口子|划伤|划破|夹破|夹伤|扎伤|扎破|扎到|割破|割伤"
)
_SYMPTOM = re.compile(rf"({_BODY})[^，。,.!！？?]{{0,8}}?({_HARM})")
# "吃出了肾结石", "喝出毛病来了": the customer blames the product for an illness.
_CAUSED_ILLNESS = re.compile(r"(吃|喝|用|穿|戴)出(了)?[^，。,.!！？?]{0,6}?(病|毛病|问题|结石|炎|症|伤)")
# "吃钙片后一直恶心吐", "喝了以后头晕", "吃钙片后不舒服": a symptom shortly after the product was taken.
_AFTER_SIGNS = (
    # ("太恶心了", "恶心死了" is disgust at the goods; nausea is "有点恶心", "恶心想吐")
    "(?<!太)(?<!好)(?<!真)恶心(?!死)|想吐|吐|头晕|晕|肚子疼|肚子痛|胃疼|胃痛|难受|不舒服|不适(?!合|应)|拉肚子|拉了|拉稀|心慌|哭闹|一直哭|起疹|痒|发烧|"
    "肿|疼|痛|过敏|都拉|全拉|拉个不停|闷得慌|慌|涨|升高|红了|发红|拉绿|绿色的便|便便(发|是|变)?(绿|黑|稀)|大便(发|是|变)?(绿|黑|稀)"
)
# ("会头晕吗", "会不舒服" ask whether it would happen: not a report.)
# Sign words that contain a negator ("不舒服") are not a denial of the sign.
_NEGATED_SIGNS = re.compile(
    r"不舒服|不适|不注意|没注意|没看住|不干净|不停|不止|止不住|站不稳|喘不过|喘不上|没劲|没力气|没停|不对劲"
)
_AFTER_TAKING = re.compile(
    r"(吃|喝|服用|用|穿|戴)[^，。,.!！？?]{0,5}?(了|完|后|以后|之后)[^，。,.!！？?]{0,10}?"
    rf"(?<!会)({_AFTER_SIGNS})"
    # ("凉的喝着难受" is about the temperature it is drunk at, not a reaction)
    r"|(?<!凉的)(?<!冰的)(?<!太凉)(?<!太冰)(吃|喝|服用|用|穿|戴)[^，。,.!！？?]{0,5}?(?<!会)(不舒服|难受)(?![吗么啊]|不)"
)
# "小孩吃了很多软糖钙", "老人忘了吃过又吃了一遍": more than the dose was taken ("吃多了有什么坏处" only asks).
_OVERDOSE = re.compile(
    r"(吃|喝|嚼|吞)(了|掉|下)(很多|太多|好多|一大把|一把|一整|双倍|一板|大半|好几[颗粒片块瓶袋]|七八|十几|几十|二十|三十)"
    r"|多吃了|多喝了|多滴了|多嚼了|又吃了一(遍|次|回)|吃重复了|重复吃了|吃了两遍"
)
# A child who got hold of something: "宝宝趁我不注意吃了七八颗", "孩子把干燥剂吃了", "小孩吃了好几粒".
_CHILD = "孩子|小孩|宝宝|宝贝|娃|儿子|女儿|闺女|孙子|孙女|外孙|小朋友|小家伙|幼儿|婴儿"
_CHILD_GOT_HOLD = re.compile(
    rf"({_CHILD})[^，。,.!！？?]{{0,8}}?(偷吃|偷喝|偷偷|趁[^，。,.!！？?]{{0,4}}不注意|没看住|没注意|自己拿|够到|翻出|当糖|当成糖|"
    r"把[^，。,.!！？?]{0,8}?(吃|喝|嚼|吞|咽|舔|咬)(了|掉|下去|光)|"
    # A whole pack gone, told before the verb: "两岁娃把维d滴剂一板胶囊都咬破吃了".
    r"(一|整|大半|半)(板|瓶|盒|袋)[^，。,.!！？?]{0,6}?(都|全)[^，。,.!！？?]{0,3}?(吃|喝|嚼|吞|咬)(了|掉|光|破)|"
    r"(吃|喝|嚼|吞)(了|掉|下)[^，。,.!！？?]{0,3}?([3-9]|\d\d|[三四五六七八九十]|好几|好多|很多|一把|半瓶|半盒|大半|整)"
    r"[^，。,.!！？?]{0,2}?(颗|粒|片|块|瓶|盒|袋|包|支))"
)
# Not food at all, whoever swallowed it: "把干燥剂当钙片吃了", "樟脑丸被咬了".
_NOT_FOOD = re.compile(
    r"(干燥剂|脱氧剂|保鲜剂|防虫片|樟脑|防蛀|除湿|洗涤剂|洗衣液|柔顺剂)[^，。,.!！？?]{0,8}?(吃|喝|嚼|吞|咽|舔|咬|放嘴|塞嘴)"
    r"|(吃|喝|嚼|吞|咽|舔|咬)[^，。,.!！？?]{0,4}?(干燥剂|脱氧剂|保鲜剂|防虫片|樟脑|防蛀|除湿|洗涤剂|洗衣液|柔顺剂)"
)
# A child who drank or ate something spoiled: "孩子喝了半盒过期酸奶".
_CHILD_SPOILED = re.compile(
    rf"({_CHILD})[^，。,.!！？?]{{0,10}}?(吃|喝)(了|过|完|下)[^，。,.!！？?]{{0,8}}?(过期|变质|坏了|发霉|馊|酸了)"
)
# "一晚上跑了五趟厕所", "月经一直不干净": frequency and bleeding told without a symptom word.
_TOLD_SIGNS = re.compile(
    r"(跑|上)了?[^，。,.!！？?]{0,2}?(好几|几|[两三四五六七八九十]|\d{1,2})(趟|次|回)厕所"
    r"|月经[^，。,.!！？?]{0,4}?(不干净|不停|没停|没断|量多|量大|变多|紊乱|乱了)"
)
# "吃了几天固元膏 今天量血压180了", "喝了以后血糖一下子升上去了": a measured sign (blood pressure, sugar, heart rate)
# that changed after the product was taken ("我妈高血压能吃吗" names a condition, nothing measured or changed).
_VITAL_AFTER_TAKING = re.compile(
    r"(吃|喝|服用)[^，。,.!！？?]{0,8}?(了|完|后|以后|之后)[^。.!！？?]{0,16}?(血压|血糖|血钙|心率|心跳)"
    r"[^，。,.!！？?]{0,4}?(\d{2,3}|升|飙|涨|蹿|高了|上来|上去|降|低了|快了|不正常|不稳)"
)
# "得了肾结石", "长了湿疹", "引起了皮炎": an illness the customer now has (with the product named elsewhere).
_GOT_ILL = re.compile(
    r"(得了|患了|长了|染上|引起了|导致了|弄得|搞得)[^，。,.!！？?]{0,4}?(结石|炎|过敏|湿疹|哮喘|溃疡|病了)"
)
# "发到小红书", "挂到网上", "拍视频发抖音": the customer will take it to the public (a channel named as where they
# bought does not count: "抖音直播间买的").
_MEDIA = re.compile(
    r"(发|挂|曝|传|放|贴)(到|在|上|去)?[^，。,.!！？?]{0,3}?(抖音|快手|小红书|微博|网上|视频号|b站|头条|知乎)"
    r"|(拍|录)(个|了)?视频[^，。,.!！？?]{0,6}?(发|曝|挂|让大家)"
)
_MEDIA_PROMO = re.compile(r"返现|返券|集赞|晒单|奖励|有奖|笔记|好评|种草")
# "体检查出肾结石", "检查出来血钙偏高": a diagnosis the customer reports (with the product named elsewhere).
_DIAGNOSED = re.compile(
    r"(查出|检查出|体检出|确诊|诊断出|诊断为|医生说|产检(说|显示|发现)?|(化验|验血|抽血)(说|显示|结果)?)(来)?(了)?"
    r"[^，。,.!！？?]{0,6}?(病|结石|炎|症|异常|偏高|超标|有关)"
)
# A pregnant or nursing customer, or a baby, after something happened, worried about harm: "怀孕五个月 刚发现
# 喝的奶已经过期两天了 会不会对宝宝有影响".
_HARM_WORRY = re.compile(r"(影响|伤害|有害|危险|要紧|没事吧|有事吗|怎么办|好担心|很担心|害怕)")
_SPOILED = re.compile(r"过期|变质|坏了|发霉|馊|酸了|有异物|异味")
# "要不要去医院查", "你们有合作医院吗": asking about a hospital is not having been to one.
_HOSPITAL_ASKED = re.compile(r"(要不要|需不需要|用不用|该不该|是否要|合作|哪家|哪个|附近的?)[^，。,.!！？?]{0,3}$")
# "医院开的铁剂", "医院给配的维D": the hospital as where a medicine came from, not a visit because of the product.
_HOSPITAL_PRESCRIBED = re.compile(r"(给我?|里)?(开|配)(的|了)(?!.{0,6}(检查|化验|住院|急诊|输液|挂水))")
# "儿科医生说要补D", "医院的医生建议吃钙": a doctor's advice, given where doctors work, is not a visit because of the
# product (a visit told is "去医院看了", "住院了医生说").
_HOSPITAL_ADVISED = re.compile(r"的?(医生|大夫)(说|建议|让|讲|推荐|叮嘱|嘱咐)")


def detect_risks(text: str) -> list[Risk]:
    """Every risk word present and not negated (the longest word wins where two overlap), plus the sensitive
    groups (pregnancy, infants) when a risk is present. A symptom named in a question about suitability,
    with nothing having happened, is not a risk (other risk kinds always are)."""
    text = _COOKING_BUBBLES.sub(lambda m: m.group(1), text)
    text = _TOGETHER_SOAK.sub("一并泡", text)
    found = [r for r in _find(text, RISK_WORDS) if not (r.kind == "hospital" and _hospital_only_asked(text, r))]
    lowered = text.lower()
    if not any(r.kind == "adverse_reaction" for r in found):
        match = (
            _SYMPTOM.search(lowered)
            or _CAUSED_ILLNESS.search(lowered)
            or _DIAGNOSED.search(lowered)
            or _AFTER_TAKING.search(lowered)
            or _OVERDOSE.search(lowered)
            or _CHILD_GOT_HOLD.search(lowered)
            or _NOT_FOOD.search(lowered)
            or _CHILD_SPOILED.search(lowered)
            or _GOT_ILL.search(lowered)
            or _TOLD_SIGNS.search(lowered)
            or _VITAL_AFTER_TAKING.search(lowered)
        )
        if (
            match
            and not _negated(lowered, match.start())
            and not any(n in _NEGATED_SIGNS.sub("", match.group(0)) for n in NEGATORS)
        ):
            found.append(Risk("adverse_reaction", match.group(0)))
    if not any(r.kind == "media" for r in found) and not _MEDIA_PROMO.search(lowered):
        media = _MEDIA.search(lowered)
        if media and not _negated(lowered, media.start()):
            found.append(Risk("media", media.group(0)))
    if not found and _find(text, SENSITIVE_WORDS) and _EVENT.search(text) and _SPOILED.search(text):
        worry = _HARM_WORRY.search(text)
        if worry:
            found.append(Risk("adverse_reaction", worry.group(0)))
    if found and _SUITABILITY_QUESTION.search(text) and not _EVENT.search(text):
        found = [r for r in found if r.kind != "adverse_reaction"]
    if found and not _EVENT.search(text):
        # "补钙会不会长结石", "喝你们奶会不会拉肚子": a symptom asked about as a possibility, nothing having happened.
        # An allergy is the exception: "会不会过敏" depends on the person, so a person answers it.
        found = [
            r
            for r in found
            if not (
                r.kind == "adverse_reaction"
                and "过敏" not in r.word
                and (_only_hypothetical(lowered, r.word) or _only_standing(lowered, r.word))
            )
        ]
    if found and not _EVENT.search(text) and _ASKS_CONTENTS.search(lowered):
        # "我对核桃过敏 固元膏里面有核桃吗": an allergy the customer has, told to ask what is in a product, with
        # nothing having happened, is a question the ingredients answer (every dev writer labelled it so).
        found = [r for r in found if not (r.kind == "adverse_reaction" and _declared_allergy(lowered, r.word))]
    if found:
        found += _find(text, SENSITIVE_WORDS)
    return found


# What is in a product, asked ("里面有核桃吗", "有没有乳成分", "氨糖是不是虾壳做的").
_ASKS_CONTENTS = re.compile(
    r"有没有|里面?有|含不含|含有|含.{0,4}吗|配料|成分|原料|(做|提取?|熬)的(吗|么)?|有[^，。,.!！？?]{1,6}(吗|么)"
)
# "对核桃过敏", "花生过敏", "坚果过敏体质": an allergy one has, not a reaction that happened ("过敏了").
_ALLERGY_HELD = re.compile(r"(对[^，。,.!！？?]{1,6}|[\u4e00-\u9fff]{1,4})过敏(?!了|的症状|反应)")


def _declared_allergy(lowered: str, word: str) -> bool:
    if "过敏" not in word or re.search(r"是不是过敏|会不会过敏|过敏了|过敏反应", lowered):
        return False
    return bool(_ALLERGY_HELD.search(lowered))


_HYPOTHETICAL = re.compile(r"(会不会|会|容易|易|可能|导致|引起|怕)[^，。,.!！？?]{0,2}$")


# "胃不好 经常反酸 吃碳酸钙会不会胀气": a standing complaint the customer has anyway, told to ask what to take.
_STANDING = re.compile(r"(经常|平时|平常|本来就?|本身就?|向来|老是|常常|时不时|动不动就?)[^，。,.!！？?]{0,2}$")


def _only_standing(lowered: str, word: str) -> bool:
    if not re.search(r"[吗么?？]|会不会|能不能|可不可以|要不要|怎么办|哪(个|款|种)", lowered):
        return False
    spots = [m.start() for m in re.finditer(re.escape(word), lowered)]
    return bool(spots) and all(_STANDING.search(lowered[max(0, i - 6) : i]) for i in spots)


def _only_hypothetical(lowered: str, word: str) -> bool:
    spots = [m.start() for m in re.finditer(re.escape(word), lowered)]
    return bool(spots) and all(_HYPOTHETICAL.search(lowered[max(0, i - 6) : i]) for i in spots)


def tells_of_event(text: str) -> bool:
    """Whether the message says something happened ("吃了", "已经", "昨天", "突然"), not only asks."""
    return bool(_EVENT.search(text))


def _hospital_only_asked(text: str, risk: Risk) -> bool:
    """The hospital is only asked about ("要不要去医院"), only where a medicine came from ("医院开的铁剂") or where
    a doctor's advice came from ("儿科医生说要补D")."""
    lowered = text.lower()
    spots = [m.start() for m in re.finditer(re.escape(risk.word), lowered)]
    return bool(spots) and all(
        _HOSPITAL_ASKED.search(lowered[max(0, i - 8) : i])
        or _HOSPITAL_PRESCRIBED.match(lowered, i + len(risk.word))
        or _HOSPITAL_ADVISED.match(lowered, i + len(risk.word))
        for i in spots
    )


def _find(text: str, groups: dict[str, tuple[str, ...]]) -> list[Risk]:
    found: list[Risk] = []
    lowered = text.lower()
    taken: list[tuple[int, int]] = []
    candidates = sorted(
        ((w, kind) for kind, ws in groups.items() for w in ws), key=lambda item: len(item[0]), reverse=True
    )
    for word, kind in candidates:
        # A hotline number (12315) counts only on its own, not inside a phone or order number.
        pattern = rf"(?<!\d){re.escape(word)}(?!\d)" if word.isdigit() else re.escape(word)
        for match in re.finditer(pattern, lowered):
            span = (match.start(), match.end())
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            taken.append(span)
            if not _negated(lowered, match.start()):
                found.append(Risk(kind, word))
    return found


def detect_emotion(text: str) -> Emotion:
    """Lexicon polarity with negation ("不好" is negative, "不差" is not) and degree words ("太差")."""
    warm_up()
    tokens = jieba.lcut(text.lower())
    score = 0.0
    hits: list[str] = []
    clause_factor = 1.0
    for i, token in enumerate(tokens):
        if token in _CONTRAST:
            # "包装不错，但是味道很怪": what follows "但是" is what the customer means.
            score *= 0.5
            clause_factor = 1.5
            continue
        weight: float = NEGATIVE.get(token, 0) * -1 or POSITIVE.get(token, 0)
        if not weight and len(token) > 1 and token[0] in "不没" and token[1:] in POSITIVE:
            weight = -POSITIVE[token[1:]]  # "不好吃", "没意思"-style words jieba keeps whole
        if not weight:
            continue
        weight *= clause_factor
        window = tokens[max(0, i - 3) : i]
        factor = 1.0
        for w in window:
            factor *= DEGREE.get(w, 1.0)
        if any(w in _NEGATION_TOKENS for w in window):
            # "不好" flips to negative; "不差" is only mildly positive.
            weight = -weight * (0.5 if weight < 0 else 1.0)
        score += weight * factor
        hits.append(token)
    for phrase in ("不好", "不行", "不满意", "不推荐", "不值", "不新鲜", "不舒服"):
        if phrase in text and phrase not in hits:
            score -= 2
            hits.append(phrase)
    anger = any(w in text.lower() for w in ANGER) or (bool(_EXCLAIM.search(text)) and score < 0)
    urgency = any(w in text for w in URGENCY)
    if anger:
        label = "angry"
    elif urgency:
        label = "urgent"
    elif score < 0:
        label = "negative"
    elif score > 0:
        label = "positive"
    else:
        label = "calm"
    return Emotion(label=label, score=round(score, 2), anger=anger, urgency=urgency, words=tuple(hits))


def is_negative(text: str) -> bool:
    """Binary polarity for evaluation on review data: negative when the lexicon score is below zero."""
    emotion = detect_emotion(text)
    return emotion.score < 0 or emotion.anger


DE_ESCALATION = {
    "angry": "非常抱歉给您带来了不好的体验，您的心情我们完全理解。",
    "urgent": "明白您很着急，我们会尽快为您处理。",
    "negative": "抱歉让您遇到这样的情况。",
}

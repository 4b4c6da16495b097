"""Tokens for Chinese retrieval: jieba words plus character bigrams, so a paraphrase that jieba splits
differently ("保质期多久" / "保质多长时间") still shares most of its tokens with the stored question."""

from __future__ import annotations

import functools
import re

import jieba

from aftersales.kit.text import warm_up

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
# Particles and politeness carry no meaning for matching but would otherwise dominate short questions.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嘛",
        "么",
        "哈",
        "啦",
        "诶",
        "嗯",
        "亲",
        "您好",
        "你好",
        "请问",
        "请",
        "一下",
        "我",
        "我们",
        "你",
        "你们",
        "您",
        "这个",
        "那个",
        "是",
        "在",
        "有",
        "就",
        "都",
        "也",
        "还",
        "想",
        "问",
        "问下",
        "想问",
        "麻烦",
        "谢谢",
        "一个",
        "个",
        "和",
        "与",
        "及",
        "或",
        "吗",
        "啥",
        "呐",
        "哇",
        "喔",
    ]
)


def words(text: str) -> list[str]:
    """jieba precise-mode words, lower-cased, without punctuation or particles."""
    warm_up()
    out: list[str] = []
    for token in jieba.lcut(text.lower()):
        if _KEEP.fullmatch(token) and token not in STOPWORDS:
            out.append(token)
    return out


def char_bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _CJK.findall(text):
        out.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return out


# Words customers use interchangeably in after-sales questions. A word in a group also yields the group's token,
# so "能放多久" meets "保存几天" on "~duration" and "~keep" while exact words still count on their own.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "duration": ("多久", "多长时间", "几天", "多少天", "多长", "几个月", "多少时间", "保质期"),
    "can": ("能不能", "可不可以", "可以", "能否", "行不行", "行吗", "能", "可否", "允许"),
    "how": ("怎么", "如何", "怎样", "咋", "怎么样", "怎么办", "咋办"),
    "keep": ("保存", "储存", "存放", "储藏", "保管", "存", "放"),
    "consume": ("吃", "服用", "喝", "食用", "饮用", "用"),
    "child": ("孩子", "小孩", "儿童", "宝宝", "小朋友", "娃", "儿子", "女儿", "婴儿", "幼儿"),
    "elderly": ("老人", "老年人", "爸妈", "父母", "我妈", "我爸", "中老年"),
    "pregnant": ("孕妇", "怀孕", "孕期", "备孕", "哺乳期"),
    "return": ("退货", "退", "退掉", "退回", "不要了"),
    "exchange": ("换货", "换", "更换", "调换", "换个"),
    "refund": ("退款", "退钱", "到账", "退回来"),
    "delivery": ("快递", "物流", "配送", "送货", "派送", "送到", "到货"),
    "ship": ("发货", "发出", "寄出", "出库", "发走"),
    "spoiled": ("坏", "变质", "变味", "酸", "坏了", "臭"),
    "price": ("价格", "多少钱", "价钱", "贵", "便宜"),
    "discount": ("优惠", "活动", "打折", "折扣", "满减", "券", "优惠券", "促销"),
    "invoice": ("发票", "开票", "专票", "普票"),
    "fridge": ("冷藏", "冰箱", "冷冻", "冻"),
    "wash": ("洗", "清洗", "水洗", "洗涤", "干洗", "手洗", "机洗"),
    "size": ("尺码", "码", "大小", "号", "码数", "尺寸", "穿多大", "几码"),
    # "168 120斤穿哪个码" states a weight the stored "身高165体重55穿什么码" calls 体重.
    "weight": ("斤", "公斤", "体重", "kg"),
    # "一直在吃降压药 能一起吃吗": the kind of medicine named is still "medicine".
    "medicine": ("药", "吃药", "服药", "用药", "药物", "降压药", "降糖药", "中药", "西药", "汤药"),
    "fake": ("假", "假货", "正品", "真假", "真的"),
    "broken": ("破损", "破", "压坏", "漏", "碎", "摔坏"),
    "order": ("订单", "单子", "下单", "买的"),
}
_SYNONYM_OF = {word: f"~{group}" for group, members in SYNONYMS.items() for word in members}
# Colloquial phrases that jieba splits ("生完孩子" -> 生完 / 孩子), found anywhere in the text: each yields its
# group's token, so "生完孩子多久能吃" meets "产后多久可以吃" on "~postpartum", not "孩子" on "~child".
PHRASES: dict[str, tuple[str, ...]] = {
    "postpartum": (
        "生完孩子",
        "生完宝宝",
        "产后",
        "坐月子",
        "月子",
        "刚生完",
        "生完小孩",
        "哺乳",
        "喂奶",
        "喂母乳",
        "回奶",
    ),
    "heat": ("上火", "燥热", "热气", "长痘", "口干舌燥", "口腔溃疡"),
    "opened": ("开封", "打开", "开了", "拆开", "开盖", "开瓶", "拆封", "没喝完", "没吃完", "喝不完", "吃不完"),
    # Longer phrases are matched first and hide what they contain, so "没开封" is unopened, never "开封".
    "unopened": (
        "没开封",
        "未开封",
        "没有开封",
        "没打开",
        "没有打开",
        "没拆",
        "没有拆",
        "未拆",
        "不开封",
        "没开的",
        "没开过",
        "没开盖",
        "没开瓶",
        "还没开",
        "原封",
    ),
    "pause": ("暂停", "停送", "先停", "停几天", "别送", "不用送", "出差", "不在家那几天"),
    "shed": ("掉毛", "掉绒", "飞毛", "掉屑"),
    "mend": ("织补", "修补", "缝补", "补洞", "补一下", "能补", "破洞", "破了个洞", "个洞"),
    "leak": ("漏了", "漏奶", "渗出", "漏液", "洒了", "流出来"),
    "empty_stomach": ("空腹", "空着肚子", "没吃早饭", "饿着肚子"),
    "fiber": ("百分百", "100%", "纯羊绒", "含量", "成分"),
}
# Every phrase with its group, longest first: a phrase inside a longer matched one does not count.
_PHRASES_LONGEST_FIRST = sorted(
    ((member, f"~{group}") for group, members in PHRASES.items() for member in members), key=lambda t: -len(t[0])
)


def phrase_matches(text: str) -> list[tuple[str, str]]:
    """(phrase, group token) found in a lower-cased text, longest first, a phrase inside a longer match skipped
    ("没开封" is ~unopened; the "开封" inside it is not ~opened)."""
    taken = [False] * len(text)
    found: list[tuple[str, str]] = []
    for member, token in _PHRASES_LONGEST_FIRST:
        start = text.find(member)
        while start >= 0:
            end = start + len(member)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(member)
                found.append((member, token))
            start = text.find(member, end)
    return found


def char_unigrams(text: str) -> list[str]:
    return ["@" + c for run in _CJK.findall(text) for c in run]


def retrieval_tokens(text: str) -> list[str]:
    """What the ranking index sees: words, character bigrams and single characters (prefixed so they never
    collide with words). Single characters let "缩" match "缩水" when jieba keeps the word whole."""
    ws = words(text)
    lowered = text.lower()
    matches = phrase_matches(lowered)
    phrases = list(dict.fromkeys(token for _, token in matches))
    inside = [member for member, _ in matches]
    if inside:
        # A word that is only part of a matched phrase ("孩子" in "生完孩子") would pull towards its own group.
        ws = [w for w in ws if not any(w in phrase and w != phrase for phrase in inside)]
        # ... and the phrase itself counts as a word even where jieba cut it apart ("一直掉毛" -> 一直/掉/毛), so it
        # meets the stored "羊绒衫掉毛正常吗", where jieba kept "掉毛" whole.
        ws += [phrase for phrase in dict.fromkeys(inside) if phrase not in ws and _CJK.fullmatch(phrase)]
    return ws + [_SYNONYM_OF[w] for w in ws if w in _SYNONYM_OF] + phrases + char_bigrams(text) + char_unigrams(text)


@functools.lru_cache(maxsize=20_000)
def _classifier_features(text: str) -> tuple[str, ...]:
    trigrams = ["%" + run[i : i + 3] for run in _CJK.findall(text.lower()) for i in range(len(run) - 2)]
    return (*retrieval_tokens(text), *trigrams)


def classifier_features(text: str) -> list[str]:
    """What the intent and per-entry classifiers read: the retrieval tokens (words, synonym and phrase groups,
    character bigrams and single characters) plus character trigrams. Cached: the same phrasings are read by
    every fold model."""
    return list(_classifier_features(text))


def baseline_tokens(text: str) -> list[str]:
    """The plain BM25 baseline's view: jieba words only, nothing else."""
    warm_up()
    return [t for t in jieba.lcut(text.lower()) if _KEEP.fullmatch(t)]


# Chat shorthand customers type (pinyin initials, internet spellings), rewritten to the words the knowledge base
# uses before anything reads the message: "kf 在吗 奶没到 tk" -> "客服 在吗 奶没到 退款". Latin abbreviations count
# only as whole tokens (never inside an order number, a SKU or a size such as XL).
SLANG_LATIN: dict[str, str] = {
    "kf": "客服",
    "rg": "人工",
    "zrg": "转人工",
    "tk": "退款",
    "th": "退货",
    "hh": "换货",
    "thh": "退换货",
    "fh": "发货",
    "wl": "物流",
    "kd": "快递",
    "yh": "优惠",
    "bzq": "保质期",
    "zp": "正品",
    "sh": "售后",
    "dd": "订单",
    "ej": "阿胶",
}
SLANG_CJK: dict[str, str] = {
    "肿么": "怎么",
    "咋整": "怎么办",
    "咋弄": "怎么办",
    "咋": "怎么",  # "咋用", "咋退货", "咋回事": northern colloquial for 怎么 (the longer forms above go first)
    "木有": "没有",
    "神马": "什么",
    "酱紫": "这样",
    "介个": "这个",
    "保质其": "保质期",
    "保值期": "保质期",
    # "来大姨妈的时候能吃吗": the plain word, so the "妈的" inside the nickname is never read as a swear word.
    "大姨妈": "月经",
    "姨妈期": "经期",
    # The "滚" of a drum washer or a lint roller is not "滚" said to the agent.
    "滚筒洗衣机": "洗衣机",
    "滚筒粘毛器": "粘毛器",
    "粘毛滚筒": "粘毛器",
    "粘毛滚": "粘毛器",
    "滚筒": "洗衣机",
    # Pinyin-input slips for product words (same or near sound, one key off): "羊绒杉起求了" is "羊绒衫起球了".
    "羊绒山": "羊绒衫",
    "羊绒杉": "羊绒衫",
    "羊毛山": "羊毛衫",
    "羊毛杉": "羊毛衫",
    "起求": "起球",
    "尺吗": "尺码",
    "阿娇": "阿胶",
    "阿交": "阿胶",
    "固原膏": "固元膏",
    "固元高": "固元膏",
    "固元糕": "固元膏",
    "阿胶高": "阿胶糕",
    "口服夜": "口服液",
    "退宽": "退款",
    # The same slips for the calcium pack's words: "盖片一天吃几片", "软唐钙", "氨唐", "维他命D".
    "盖片": "钙片",
    "液体盖": "液体钙",
    "软唐": "软糖",
    "氨唐": "氨糖",
    "维他命": "维生素",
}
# Word boundaries the anger and risk lexicons cannot see, made visible with a space: "给我妈的礼物", "妈妈的阿胶"
# (a mother's, not the swear "妈的"; "你妈的" and "他妈的" stay as they are) and "用温水泡软" (soaked in water, not a
# blister "水泡").
_BOUNDARIES = re.compile(r"(?<=[我俺咱老妈姨婆舅姑干后])妈(?=的)|(?<=[温热冷凉开清用白净])水(?=泡)")
_LATIN_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,3}(?![A-Za-z0-9])")
_SLANG_CJK = re.compile("|".join(sorted(map(re.escape, SLANG_CJK), key=len, reverse=True)))


def normalise(text: str) -> str:
    """The message with chat shorthand written out (see ``SLANG_LATIN``, ``SLANG_CJK``) and a space at the word
    boundaries of ``_BOUNDARIES``; anything else unchanged."""
    text = _LATIN_RUN.sub(lambda m: SLANG_LATIN.get(m.group(0).lower(), m.group(0)), text)
    text = _SLANG_CJK.sub(lambda m: SLANG_CJK[m.group(0)], text)
    return _BOUNDARIES.sub(lambda m: m.group(0) + " ", text)


# Named things a customer may ask about that an answer must itself mention to be an answer: couriers, nutrients and
# supplements, materials and product forms the catalogue does not sell. "能跟维生素C一起吃吗" retrieved beside the
# vitamin-D entry, "能发顺丰吗" beside the shipping times and "阿胶粉和阿胶块有啥区别" beside the cake-vs-block entry
# are not answered by them: the never-invent rule sends such a question to a person unless the entry names the thing.
# Each group lists spellings of one thing; the entry may use any of them.
SPECIFICS: tuple[tuple[str, ...], ...] = (
    ("顺丰",),
    ("中通",),
    ("圆通",),
    ("韵达",),
    ("申通",),
    ("极兔",),
    ("德邦",),
    ("京东快递", "京东物流"),
    ("邮政", "ems"),
    ("维生素c", "维c", "vc"),
    ("维生素e", "维e"),
    ("维生素b", "b族"),
    ("维生素a",),
    ("维生素k", "k2"),
    ("鱼油",),
    ("叶酸",),
    ("dha",),
    ("益生菌",),
    ("蛋白粉",),
    ("钙镁", "镁"),
    ("铁剂", "补铁"),
    ("乳钙",),
    ("海藻钙",),
    ("葡萄糖酸钙",),
    ("骨胶原", "胶原蛋白"),
    ("阿胶粉",),
    # A block the customer had ground ("打成粉了以后能放多久"): the block's facts are not the powder's.
    ("打成粉", "磨成粉"),
    ("阿胶浆",),
    ("阿胶胶囊",),
    ("阿胶片",),
    ("鹿茸",),
    ("燕窝",),
    ("人参", "西洋参"),
    ("羊奶",),
    ("豆奶",),
    ("燕麦奶",),
    ("奶酪",),
    ("黄油",),
    ("冰淇淋",),
    ("真丝", "桑蚕丝"),
    ("牦牛绒",),
    ("驼绒", "骆驼绒"),
    ("羊驼",),
    ("马海毛",),
    ("兔毛", "兔绒"),
    ("貂绒", "水貂"),
    ("纯棉",),
    ("羽绒",),
    # Other brands: a comparison or a service for them is not in any entry unless it names them.
    ("鄂尔多斯",),
    ("麦丝玛拉", "maxmara", "max mara"),
    ("每日鲜语",),
    ("特仑苏",),
    ("伊利",),
    ("蒙牛",),
    ("君乐宝",),
    ("东阿阿胶",),
    ("同仁堂",),
    ("汤臣倍健",),
    ("钙尔奇",),
    ("迪巧",),
    ("善存",),
    ("斯利安",),
    ("swisse",),
    # Places an entry must name to answer for them: remote regions, other countries.
    ("新疆", "西藏", "青海", "偏远"),
    ("香港", "澳门", "台湾", "港澳台"),
    ("国外", "海外", "出国", "境外", "美国", "日本", "澳洲", "澳大利亚", "加拿大", "英国", "新加坡", "韩国", "欧洲"),
    # Ways to pay and services no entry offers unless it says so.
    ("数字人民币",),
    ("云闪付",),
    ("礼品卡", "购物卡", "储值卡"),
    ("医保卡", "医保"),
    ("白条",),
    ("老百姓大药房", "大参林", "益丰", "一心堂", "海王星辰", "国大药房"),
    ("运费险",),
    ("召回",),
    ("飞机", "登机", "托运", "安检", "高铁"),
    ("esl",),
    # Drink and medicines an answer must name to answer for them ("吃钙片能喝酒吗", "在吃头孢 喝牛奶要隔开吗").
    ("喝酒", "饮酒", "酒精", "喝白酒", "喝啤酒", "喝红酒", "喝点酒", "应酬"),
    ("料酒",),
    ("豆浆",),
    ("自提", "自取", "到店取", "门店取货"),
    ("咖啡",),
    ("玛卡",),
    ("重金属", "铅含量", "含铅", "铅超标", "汞", "砷"),
    ("可乐", "碳酸饮料", "汽水"),
    ("白酒", "二锅头"),
    ("高压锅",),
    ("盖章", "公章"),
    ("农残", "农药残留"),
    ("提货卡", "提货券", "兑换卡"),
    ("logo",),
    ("暖气", "地暖"),
    ("下奶", "催奶"),
    ("骨骺",),
    ("橙汁", "果汁"),
    ("失眠", "睡眠不好", "睡不好"),
    ("灵芝",),
    ("虫草",),
    ("防晒霜",),
    # A crack in a block is not frost, mould or damage in transit unless an answer says so.
    ("裂纹", "裂缝", "开裂", "裂开", "裂了"),
    ("早产",),
    # Bulk purchases for staff: a price for them is a person's to give (an entry on company orders names them).
    ("批发", "发福利", "员工福利"),
    ("头孢", "抗生素", "阿莫西林", "消炎药"),
    # Price protection after a price cut: no entry offers it unless it says so ("降价了能补吗" is not a mending).
    ("降价", "补差价", "退差价", "差价", "价保", "保价"),
    # How a courier behaved ("态度很差 东西扔门口就走了"): a complaint about a person, not a late parcel.
    ("态度差", "态度很差", "态度不好", "态度恶劣", "扔门口", "扔在门口", "丢门口", "丢在门口", "扔楼下", "扔在楼下"),
    # Visiting a farm or a factory: no entry offers it unless it says so.
    ("参观", "实地考察"),
    # Sediment in a bottle ("瓶底有白色沉淀"): only an entry that speaks of it.
    ("沉淀", "絮状"),
    # A herd's vaccination or health records: no entry offers them unless it says so (a trace code shows the farm).
    ("疫苗", "防疫", "免疫记录"),
    # Made to order: no entry offers it unless it says so.
    ("定制", "订制", "专门做一款", "改款"),
    # Something the customer made at home from the product: the catalogue's facts are not its facts.
    (
        "自己做",
        "自制",
        "自己熬",
        "熬好",
        "熬成",
        "做好的",
        "蒸好的",
        "自己煮",
        "泡好的",
        "化好的",
        "烊化好的",
        "泡开的",
    ),
    # A price: the catalogue carries none, so only an entry that speaks of prices or fees answers "阿胶块多少钱一斤"
    # (a repair "按价目收费" answers "织补要多少钱", a free service "代打粉收费吗").
    ("多少钱", "价格", "价钱", "几块钱", "啥价", "什么价", "费用", "收费", "价目", "免费"),
    # Religious dietary rules: no entry certifies them unless it says so.
    ("清真", "回民", "回族", "穆斯林"),
    # Animals: the products are for people ("猫能吃阿胶吗" is not the children's entry).
    ("宠物", "猫", "狗"),
    # Another country or region: no entry ships there unless it says so ("我在国外 能发货吗" is not an order status).
    (
        "国外",
        "海外",
        "出国",
        "境外",
        "国际快递",
        "国际物流",
        "香港",
        "澳门",
        "台湾",
        "美国",
        "加拿大",
        "日本",
        "韩国",
        "澳洲",
        "澳大利亚",
        "新西兰",
        "英国",
        "欧洲",
        "新加坡",
        "马来西亚",
    ),
    # Putting a food on the skin: no entry speaks of it unless it says so.
    ("面膜", "敷脸", "敷面", "抹脸", "涂脸", "外用"),
)
# Shopping festivals and offers, checked against promotion entries only: an offer for one occasion does not answer
# a question about another ("双十一的满减还有吗" is not the 双十二 offer), while "春节期间发货吗" may be about delivery.
OCCASIONS: tuple[tuple[str, ...], ...] = (
    ("双十一", "双11"),
    ("双十二", "双12"),
    ("618",),
    ("年货节", "春节", "过年", "新年", "新春"),
    ("中秋",),
    ("国庆",),
    ("新人", "首单", "新客"),
    ("会员日",),
    # Offer mechanics: "买二送一还有吗" is not answered by a promotion that gives a discount.
    ("买一送一", "买1送1"),
    ("买二送一", "买2送1", "买两送一"),
    ("第二件半价", "第二件5折"),
    ("秒杀",),
    ("拼团",),
    ("直播间",),
)
# Children of school age (see POPULATIONS), also named by an age in years from 3 to 17.
SCHOOL_AGE: tuple[str, ...] = (
    "学龄",
    "小学生",
    "中学生",
    "初中生",
    "高中生",
    "青少年",
    "上小学",
    "上初中",
    "上高中",
    "上学",
)
_SCHOOL_AGE_YEARS = re.compile(
    r"(?<![\d.])([3-9]|1[0-7])\s*周?岁(?!以上的老)|(?<![一二三四五六七八九十百两\d])(三|四|五|六|七|八|九|十[一二三四五六七]?)周?岁"
)
# Elderly people (see POPULATIONS), also named by an age in years from 60: "她快80了".
ELDERLY: tuple[str, ...] = (
    "老人",
    "老年",
    "长辈",
    "爸妈",
    "父母",
    "我爸",
    "老爸",
    "老妈",
    "爷爷",
    "奶奶",
    "姥姥",
    "姥爷",
    "外公",
    "外婆",
    "上了年纪",
    "岁数大",
    "六十",
    "七十",
    "八十",
)
_ELDER_YEARS = re.compile(r"(?<![\d.])[6-9]\d\s*(周?岁|多岁|了|出头)")
# An age told in years names the group it falls in.
_AGE_GROUPS = ((_SCHOOL_AGE_YEARS, SCHOOL_AGE), (_ELDER_YEARS, ELDERLY))
# Who a suitability question is about: an entry about who may take a product answers it only if it speaks of that
# group ("几岁的小孩可以喝酸奶" is not answered by the entry for diabetics). Checked against suitability entries only,
# so "给孩子买的羊绒衫怎么洗" still gets the washing answer.
POPULATIONS: tuple[tuple[str, ...], ...] = (
    ("小孩", "孩子", "儿童", "小朋友", "宝宝", "婴儿", "幼儿", "婴幼儿", "小学生", "中学生", "青少年", "少儿", "娃"),
    ("孕妇", "怀孕", "孕期", "孕早期", "孕中期", "孕晚期", "准妈妈"),
    ("备孕",),
    ("哺乳", "喂奶", "母乳", "月子", "产后", "生完"),
    ("试管", "胚胎移植", "移植后", "取卵", "促排"),  # IVF: an entry for the month after birth is not about it
    ELDERLY,
    ("糖尿病", "血糖", "控糖"),
    ("更年期", "绝经"),
    ("乳糖不耐",),
    ("经期", "月经", "来例假", "大姨妈"),
    # Chronic conditions: "高血压能吃阿胶吗" is not answered by the entry for diabetics.
    ("高血压", "血压高", "血压偏高", "降压药"),
    ("高血脂", "血脂"),
    ("心脏", "冠心病", "心脑血管", "心血管"),
    ("甲亢", "甲减", "甲状腺", "桥本"),
    ("痛风", "尿酸"),
    ("肝病", "肝不好", "乙肝", "脂肪肝", "肝功能"),
    ("肾病", "肾不好", "肾炎", "肾功能", "透析", "肾衰"),
    ("肌瘤", "囊肿", "多囊", "增生", "结节", "肿瘤", "癌", "化疗", "放疗"),
    ("胆囊", "胆结石", "胆汁"),
    ("手术", "术后", "开刀"),
    ("健身", "撸铁", "增肌", "运动员"),
    # A child of school age, or any age from 3 to 17 told in years (``specifics``): the entry for babies does not
    # answer "我家孩子10岁能吃吗".
    SCHOOL_AGE,
)
_SPECIFIC_LATIN = {s for group in (*SPECIFICS, *OCCASIONS, *POPULATIONS) for s in group if s.isascii()}


def specifics(text: str, groups: tuple[tuple[str, ...], ...] = SPECIFICS) -> list[tuple[str, ...]]:
    """The groups (default SPECIFICS) a message names (lower-cased; a Latin spelling only as a whole token)."""
    lowered = text.lower()
    found: list[tuple[str, ...]] = []
    if groups is POPULATIONS:
        found += [group for years, group in _AGE_GROUPS if years.search(lowered)]
    for group in groups:
        if group in found:
            continue
        for s in group:
            if s in _SPECIFIC_LATIN:
                if re.search(rf"(?<![a-z0-9]){re.escape(s)}(?![a-z0-9])", lowered):
                    found.append(group)
                    break
            elif s in lowered:
                found.append(group)
                break
    return found


_COURIERS = "|".join(s for group in SPECIFICS[:9] for s in group)
# Questions that ask for one piece of data (which courier, the return address, a phone number, a calculation): an
# entry answers them only if its text holds such a datum; "用的什么快递" is not answered by the shipping times.
_ASKED_FACT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(什么|哪家|哪个|啥)快递|快递公司|(什么|哪家)物流", _COURIERS),
    (
        r"退货地址|退回地址|寄回(的|去的)?地址|售后地址|寄(回)?到哪(里|儿|个地址|个地方)|寄回哪|(地址|邮寄地址)(给|发)(我|一下)",
        r"[省市区路号]\d|\d+号|地址[:：]",
    ),
    # A calculation for this customer ("帮我算一下我一天吃了多少钙"): a tool or a person does it, not an entry.
    (r"帮我(计算|算一下|算算|算下|算)", r"(?!)"),
    # "优惠券用不了 显示不满足条件": a coupon that fails is a case for a person unless an entry explains failures.
    (
        r"(优惠券|券|红包|折扣码)[^，。,.!！？?]{0,6}?(用不了|不能用|无法使用|用不上|使不了|不可用|不满足|没法用|失效了)",
        r"用不了|无法使用|不能使用|不满足",
    ),
    # "有赠品没": whether an offer comes with a gift; an answer about a missing gift ("少发赠品") is not one.
    (
        r"(有没有|有无|有|送)(什么|啥)?(赠品|小样|礼品)(吗|没有|没|不|呢|么|嘛)?[?？]*$|(赠品|小样)(是|有|送)(什么|啥)",
        r"赠送|附赠|送.{0,4}(一|小|赠品|礼)|赠品(为|是|有)",
    ),
    # "抬头写错了能重开吗": correcting an issued invoice, unless the answer says how.
    (
        r"(抬头|税号|发票).{0,8}(写错|填错|开错|错了|重开|换开|重新开|作废)|(重开|换开|重新开)(发票|一张)",
        r"重开|换开|重新开具|作废|红冲",
    ),
    # "固元膏开了盖一直放在台面上 一个礼拜了还能吃吗": an opened product kept out of the fridge, a food-safety call the
    # catalogue's storage line does not make, unless the answer speaks of exactly that.
    (
        (
            r"(没放冰箱|没放进冰箱|没冷藏|没有冷藏|忘了?放冰箱|忘了冷藏|常温(下)?放了|放(在)?(桌|台面|外面|厨房)"
            r"|驿站|快递柜)"
            r"[^？?]{0,40}(还能|能不能|可以|还可以).{0,3}(吃|喝|用)"
        ),
        r"常温|室温|没(有)?冷藏|未冷藏|忘(了)?(放|冷藏)",
    ),
    # ... and left in the heat ("夏天软糖放车里化了 还能吃不"): an answer that speaks of heat answers it.
    (
        r"(放(在)?车里|车上|暴晒|晒着|没空调)[^？?]{0,40}(还能|能不能|可以|还可以).{0,3}(吃|喝|用)",
        r"常温|室温|高温|受热|遇热|暴晒",
    ),
    # How long once opened ("氨糖钙片开瓶以后几个月内要吃完"): only an answer that gives a period after opening.
    (
        r"(?<![没未不])开(封|瓶|盖|启|袋|了)[^，。,.!！？?]{0,10}?(多久|几天|几个月|多长时间|多少天|放多久|能放几)"
        # ... also as a follow-up to a shelf life ("软糖保质期多久" then "开封了呢", read as one question)
        r"|(保质期|多久|能放)[^。]{0,12}(?<![没未不])开(封|瓶|盖)(了|后|以后|之后)?的?呢",
        (
            r"(开(封|瓶|启|袋|盖)|打开|拆开|拆封)[^。]{0,40}?(\d+\s*(天|周|个月|月|小时)|[一两三四五六七八九十半]+\s*(天|周|个月|月|年)"
            r"|当天|尽快|一次喝完|期限内)"
        ),
    ),
    # The calories of a portion ("阿胶糕一块多少大卡"): only an answer that gives a number ("热量高不高" is answered).
    (
        r"多少(大卡|卡路里|千卡|热量|卡)|热量(是|有)?多少|(大卡|卡路里|千卡)(是|有)?多少",
        r"\d+\s*(千卡|大卡|kcal|千焦|kj|卡)",
    ),
    # How much cheaper ("周期购的专属价比平时便宜多少"): only an answer that gives the amount.
    (
        r"(便宜|优惠|省|少)(了)?多少|打几折|几折|多少折",
        r"\d+(\.\d+)?\s*(折|元|%)|[一二三四五六七八九]折|减\s*\d",
    ),
    # The customer's own level or points ("那我现在是什么等级"): their account, which no answer holds.
    (
        r"我(现在|目前)?(是|在)?(什么|啥|哪个|哪一)(等级|级别|级)|我的(会员)?(等级|级别)(是)?(什么|啥|多少)"
        r"|我(现在|还)?(有|剩)多少积分|我的积分(还)?(有|剩)?多少",
        r"(?!)",
    ),
    # The facets of a policy a customer asks about one by one ("积分会过期吗", "消费多少升银卡", "分几期"): the
    # membership or payment entry answers only the facets its answer speaks of.
    (
        r"积分.{0,10}(过期|清零|有效期|期限|作废)|(过期|清零).{0,4}积分",
        r"积分[^。]{0,20}(过期|清零|有效期|有效)",
    ),
    (
        (r"积分.{0,10}(抵|兑|换).{0,6}(多少|几|一块|1元|一元)|多少积分.{0,6}(抵|换|兑)|积分.{0,4}多少.{0,4}(抵|换)"),
        r"\d+\s*积?分.{0,6}(抵|兑|=|换)|抵(扣|现)?\s*\d",
    ),
    (
        (
            r"(消费|花|买)(多少|满多少).{0,8}(升|成为|达到|才能|能)|(升|到|成为).{0,4}(银卡|金卡|vip).{0,6}(多少|条件|门槛|要求)"
            r"|还差多少"
        ),
        r"满\s*\d|\d+\s*(元|万|千)\S{0,4}(升|成为)|(累计|年)消费(满)?\s*\d",
    ),
    (
        r"(累积|累计|攒|留|顺延|延)到(下|明|次)|能不能累积|可以累积|能累积|能顺延|延长(有效期|期限)",
        r"(可|能|不能|不可|可以|无法)(累积|累计|顺延|结转)|顺延|结转|延期|当月有效|当年有效|过期作废",
    ),
    (r"分期", r"分期"),
    (
        r"免息|分几期|几期|多少期|分期.{0,10}(手续费|利息)|手续费.{0,4}(退|能退)",
        r"免息|期数|手续费|利息",
    ),
    # An invoice other than the standard one: merged, monthly, split, on paper.
    (
        (r"发票.{0,10}(合并|合开|一起开|按月|每个?月|分开|分别|只开)|(合并|按月|每个?月|分开|只开).{0,10}发票"),
        r"合并|按月|分开|分别|部分",
    ),
    # ... asked for ("能开纸质发票吗"), not asked which kind it is ("电子的还是纸质的": the answer says electronic).
    (r"^(?!.*还是).*(能|可以|要|想要?|需要)(开|给|寄)?(张|个)?纸质(发票|的|版)?", r"纸质"),
    # Money back to a card that no longer exists, or to a credit already repaid.
    (
        (r"(卡|银行卡|账户|账号).{0,6}(注销|销户|挂失|停用|冻结|不用了)|(花呗|信用卡).{0,10}(已经还|还了|还清)"),
        r"注销|销户|挂失|停用|冻结|已还|还款后|还清",
    ),
    (r"(优惠券|券).{0,8}(换成|兑换成|折成|折现|换)现金|(换成|兑成|折成)现金", r"现金|折现"),
    # A coupon forgotten at checkout: only an answer that says whether it can be applied afterwards.
    (
        r"(忘了|忘记|没)(用|使用)(优惠券|券)|(优惠券|券).{0,6}(补用|还能用上|能补)",
        r"补用|事后|下单后",
    ),
    # "扫了显示无此码": a code the system does not know is a case to check, unless the answer says what it means.
    (
        r"无此码|无效码|查无此码|显示无效|码.{0,4}(无效|不存在)",
        r"查不到|无效|不存在|无此",
    ),
    (r"缺货|补货|断货|没货了|有货吗|有没有货|库存", r"缺货|补货|到货|库存"),
    (
        r"(门店|实体店|线下店|专柜).{0,6}(在哪|地址|哪里|位置|几点|营业|开门)|最近的(门店|店)",
        r"门店.{0,10}(地址|营业时间|\d+:\d+)|[路街]\S{0,6}\d+号",
    ),
    # Past its date: eating it is not what a shelf-life answer speaks of unless it says so.
    (
        r"过期[^？?]{0,24}(还能|能不能|可以|还可以).{0,3}(吃|喝|用)",
        r"过期(后|的|了)?.{0,6}(不|勿|别)|超过保质期",
    ),
    # How much is in one pack ("一瓶多少毫升", "一盒有几支"): only an answer that gives an amount.
    (
        r"一(瓶|盒|袋|罐|箱|支)(是)?(多少|几)(毫升|ml|支|片|粒|克|g|块|袋|盒)|一(瓶|盒|袋|罐|箱)(有|装)几",
        r"(每|一)(盒|瓶|袋|罐|箱)\S{0,3}\d+|\d+\s*(支|片|粒|袋|块)\s*(装|/)|净含量|\d+\s*(ml|毫升)",
    ),
    (r"(什么|啥|哪些)口味|什么味(的|儿)|口味有", r"口味|[橙莓檬果桃]味"),
    # A member's birthday ("会员生日有没有礼物"), not a birthday present bought here.
    (
        (r"(会员|vip|银卡|金卡|等级).{0,10}生日|生日(月)?.{0,3}(特权|福利|有礼|有没有礼|送什么|赠|优惠|活动|折扣)"),
        r"生日",
    ),
    # An amount of a nutrient ("乳糖有多少克", "维生素D有多少IU"): only an answer that gives one.
    (
        r"(有|含|是)多少(克|毫克|mg|iu|微克|μg|单位)|多少(毫克|iu|微克)",
        r"\d+\s*(克|g|毫克|mg|iu|微克|μg|单位)|标签|配料表|营养成分表",
    ),
    # A variant the catalogue does not list ("有没有小瓶装的", "有没有无糖的款").
    (
        r"有没有.{0,8}(小瓶|大瓶|小包装|小规格|大规格|无糖|低糖|低脂|脱脂|拖脂|零糖|小份|便携装)|(无糖|低脂|脱脂)的(款|吗)",
        r"无糖|低糖|低脂|脱脂|小瓶|规格|含糖|糖分",
    ),
    # A favour asked of the courier ("配送员能不能帮忙把奶放进冰箱"): only an answer that offers it.
    (
        (r"(配送员|送奶员|快递员|师傅|小哥).{0,10}(帮忙|帮我|能不能|可以|可不可以).{0,8}(放进|放到|放入|搬|上楼)"),
        r"(放进|放入|放到)(冰箱|家里|屋里|门内)|送上楼|搬上楼|入户",
    ),
    # A certificate or licence to be shown: only an answer that says where it is.
    (r"证书|资质|许可证|批文|注册证", r"证书|资质|许可|批文|注册证|蓝帽"),
    # The goods are gone and nothing was kept ("我直接倒了也没拍照 还能处理吗"): a person weighs the case.
    (
        r"(扔了|倒了|丢了|没拍照|没有拍照|没拍|没留).{0,16}(还能|能不能|可以).{0,4}(处理|退|赔|补)",
        r"没有照片|无照片|没拍照|扔掉|丢弃",
    ),
    # Bought elsewhere ("在超市买的 能在线上退吗"): an answer that speaks of other channels.
    (
        (r"(在|从)(超市|商场|药店|线下|门店|实体店|专柜|抖音|快手|拼多多|别的平台|其他平台|代购|微商)\S{0,6}(买|购)"),
        r"渠道|线下|超市|药店|其他平台|门店购买|门店销售",
    ),
    (r"分(两|几|开)个?地址|分开(发|寄)|分别(发|寄)|拆单", r"分开|拆单|分别"),
    (
        (r"指定.{0,4}(日期|时间|那天|当天|\d+号)|(\d+号|\d+月\d+日).{0,6}(送到|到货|送达)|保证.{0,8}前送到|能赶上"),
        r"指定|预约",
    ),
    (
        r"(电话|热线|手机号)(号码)?(是)?多少|(客服|售后|门店)(的)?(电话|热线)",
        r"\d{3,4}-?\d{7,8}|400-?\d{3}-?\d{4}|1\d{10}",
    ),  # How much of a nutrient or of the active part ("每片含多少钙", "阿胶含量是多少", "一块含多少糖"): only a
    # figure answers; "以包装标签为准" sends the customer to read what they asked us to read.
    (
        r"(含|有|加了?)(多少|几)(克|毫克|mg|微克)?的?(钙|糖|阿胶|维生素|蛋白|脂肪|钠|热量)"
        r"|(钙|糖|阿胶|维生素d?|蛋白质?|脂肪)的?(含量|量)(是|有)?(多少|多高|高不高|几)|含(钙|糖)量(是|有)?多少",
        r"\d+(\.\d+)?\s*(%|克|g|毫克|mg|iu|微克|μg|千卡|kcal|大卡)",
    ),
    # ... or its share ("阿胶含量是百分之多少", "阿胶占多少"): only a percentage.
    (r"(含量|占|占了)(是|有)?(百分之|多少|几成)|百分之(几|多少)", r"\d+(\.\d+)?\s*%|百分之[一二三四五六七八九十\d]"),
    # From what age ("儿童液体钙几岁可以喝"): only an answer that names an age.
    (
        r"几岁|多少岁|什么年龄",
        r"\d+\s*(岁|周岁|个月)|[一二三四五六七八九十两]+(岁|周岁|个月)",
    ),
    # Which days the couriers stop and start again: only an answer that gives the days.
    (
        r"几号.{0,4}(停|恢复|截单|放假|开始发)|(停发|恢复发货|截单|停运).{0,6}(几号|哪天|什么时候|时间)"
        r"|(哪天|几号|什么时候).{0,4}(开始)?(停发|停运|恢复发货|截单)",
        r"(停发|恢复|截单|停运)\S{0,6}\d+月\d+日|\d+月\d+日\S{0,6}(停发|恢复|截单|停运)",
    ),
    # A code that will not scan: only an answer that says what to do then.
    (r"扫不出|扫不了|扫不到|扫了没反应|扫不上|扫码.{0,4}(没反应|失败)", r"查不到|扫不出|看不清|无法识别|扫不了"),
    # "显示签收了但我没收到": a lost parcel is a case to trace, not a delay.
    (
        r"签收.{0,12}(没收到|没有收到|没拿到|没见到|没看到)",
        r"签收.{0,8}(没|未)(收到|拿到)|(没|未)收到.{0,6}签收|丢件|丢失|找不到包裹",
    ),
    # Points earned per yuan, points beside coupons, a credit line given back: only an answer that says so.
    (
        r"(给|送|返|得|积|攒)多少(积)?分|多少积分|积分(怎么|如何)(算|计算|累积)",
        r"\d+\s*(元|块)\S{0,6}积?\d*\s*积?分|积分规则[:：]",
    ),
    (
        r"(优惠券|券|积分|会员折扣|会员价|折扣|满减|活动).{0,8}(一起用|一起使用|同时用|同时使用|叠加|共用|一块用)",
        r"叠加|同时使用|一起使用|不可同时|可同时",
    ),
    # The terms of a promotion ("双十二具体满多少减多少"): only an answer that gives them.
    (r"满多少减多少|具体.{0,4}满减|打几折|几折", r"满\s*\d+\s*减\s*\d+|\d+(\.\d+)?\s*折|[一二三四五六七八九]折"),
    # A budget ("预算五百左右买哪款好"): a person weighs the products against it.
    (r"预算|(\d+|[一二三四五六七八九十百千两]+)\s*(块|元)?(钱)?(左右|以内|上下)", r"\d+\s*元|价格"),
    # A returning customer's own discount ("老顾客有没有额外优惠"): only an answer that offers one.
    (r"(老顾客|老客户|回头客).{0,6}(优惠|折扣|福利|便宜|专享)", r"老顾客|老客户|回头客|复购"),
    # An order not shipped long after it was paid: the promised time is past, a person follows it up.
    (
        r"(两周|半个月|一个月|一周|一个礼拜|\d+天)(了)?.{0,8}(还没|没有?)发货|(还没|没有?)发货.{0,8}(两周|半个月|一个月|一周|一个礼拜|\d+天)",
        r"超过\s*\d+\s*(天|小时)\S{0,8}(未|没)发货|延迟发货.{0,6}(补偿|赔)",
    ),
    (r"额度.{0,6}(恢复|多久|什么时候)", r"额度"),
    # What goes on the invoice ("抬头能开我爸的名字吗", "能开明细吗"): only an answer that speaks of it.
    (r"^(?!.*(错|重开)).*抬头.{0,8}(写|开|填|能|可以|改)|(开|写|要).{0,4}(明细|具体商品)", r"抬头|明细|商品名称"),
    # A delivery by a day ("最晚12月20号要到 现在下单来得及吗"): only an answer that gives cut-off days.
    (
        r"(下单|现在买|到货|送到|要到).{0,6}(来得及|赶得上)|最晚.{0,6}(哪天|几号|什么时候)?.{0,4}(下单|到|送到)",
        r"截单|最晚|指定|预约|\d+月\d+日前",
    ),
    # No fridge ("办公室没冰箱 开封了能放几天"): only an answer that says how it keeps without one.
    (r"没(有)?冰箱|没地方冷藏|不能冷藏|冷藏不了", r"没有冰箱|无冰箱|不方便冷藏"),
    # A child's own dose ("女儿12岁 软糖一天吃几颗", "宝宝8个月 一次喝多少"): only an answer that doses by age.
    (
        r"(?<!怀孕)(?<!孕)(\d+|[一二两三四五六七八九十]+)\s*(周岁|岁|个月).{0,16}(一天|每天|一次|每次)\S{0,3}(吃|喝|服|用)\S{0,2}(几|多少)"
        r"|(一天|每天|一次|每次)\S{0,3}(吃|喝|服|用)\S{0,2}(几|多少).{0,12}(?<!怀孕)(?<!孕)(\d+|[一二两三四五六七八九十]+)\s*(周岁|岁|个月)",
        r"\d+\s*(-|~|到|至)\s*\d+\s*(周)?岁|\d+\s*(周)?岁(以上|以下|以内|及以上)\S{0,8}(每天|一天|每次|一次)\S{0,3}\d",
    ),
    # Shipping paid first and refunded later ("运费是我先垫付再报销吗"): only an answer that says how.
    (r"垫付|先付.{0,6}(报销|退给|返还)|报销.{0,4}(运费|多久)|运费.{0,6}报销", r"垫付|报销|先行|返还运费|退还运费"),
    # No e-mail given for the e-invoice ("我下单的时候没填邮箱"): only an answer that says what then.
    (r"没(有)?填.{0,2}邮箱|没留.{0,2}邮箱|没有邮箱|邮箱.{0,4}(没填|填错)", r"没有邮箱|未填|补填|修改邮箱|填错"),
    # Paying in a shop, not online ("线下门店能刷医保卡吗"): only an answer that speaks of shops.
    (r"(线下|门店|实体店|药店).{0,8}(医保|刷卡|支付|付款)", r"线下|门店|实体店|药店"),
    # A discount taken back ("中途取消的话之前享受的优惠要退回去吗"): only an answer that says so.
    (
        r"优惠.{0,4}(退回|补回|扣回|收回|要退)|(退回|补回|扣回).{0,4}优惠|补差价",
        r"退回优惠|补差价|扣除优惠|差价|按原价",
    ),
    # The approval number itself ("批准文号是多少"): only an answer that gives it.
    (r"(批准文号|批文号|文号|注册号|备案号)(是)?(多少|几号|是什么)", r"国食健|卫食健|G\d{8}|\d{8}"),
    # Whether a product contains a nutrient ("孕妇钙里面有没有叶酸"): only an answer that says it does or not.
    (
        r"(有没有|含不含|是否含|含有?|里面有|加了?).{0,3}(叶酸|dha|铁|锌|硒|镁)",
        r"(含|不含|含有|添加|加了|没有)\S{0,4}(叶酸|dha|铁|锌|硒|镁)",
    ),
    # A promise not kept ("说好的补发一个礼拜了还没到"): the case is open already, a person follows it up.
    (
        r"(说好|答应|承诺|说了)的?.{0,6}(补发|退款|寄|换货|回电|联系我|发货).{0,12}(还没|没到|没收到|没发|没退|没有|没动)"
        r"|补发的?.{0,10}(还没|没到|没收到|没发)|补发的.{0,4}(什么时候|多久|几天)|补发多久(到|能到)",
        r"补发的|已补发|(补发|承诺).{0,6}(未|没)(到|收到)",
    ),
    # Frozen: only an answer that speaks of the freezer.
    # ("冷藏还是冷冻" is answered by an answer that says 冷藏.)
    (r"^(?!.*(冷藏还是冷冻|冷冻还是冷藏)).*(冷冻|冻起来|冰冻|速冻|冻着)", r"冷冻|冻"),
    # Kept past the advice ("开封一个多月了还没吃完 还能吃吗"): a person weighs the customer's own case.
    (
        r"(开封|打开|拆开|开了|放了|忘了放).{0,14}(多月|个月|礼拜|星期|周|\d+天|几天|多天).{0,12}(还能|能不能|可以|还可以)"
        r".{0,3}(吃|喝|用)",
        r"超过.{0,8}(不|别|勿)|过了.{0,6}(不|别|勿)|(不建议|请勿|不要)\S{0,6}(再)?(食用|吃|喝)",
    ),
    # Additives asked for by name: only an answer that names them.
    (
        r"(有没有|有无|含不含|是否含|含有?|加了?|添加|放了).{0,3}(香精|色素|防腐剂|甜味剂|代糖|糖精|添加剂)",
        r"香精|色素|防腐剂|甜味剂|代糖|糖精|添加剂",
    ),
    # An order by the dozens or hundreds for a company: a person quotes it.
    (
        r"(\d{2,}|几十|上百|一百|几百|两百)\s*(盒|箱|份|套|件|瓶|罐)",
        r"(大客户|团购|企业)(专员|顾问|经理)|批量(采购|订购)",
    ),
    # What the present is ("会员生日礼物具体是什么", "加赠的是什么"): only an answer that names it.
    (
        r"(礼物|礼品|赠品|加赠|赠送|送的)(的)?(具体)?(是|有)?(什么|啥|哪些)|(送|赠|加赠)(的是|些)(什么|啥)"
        r"|(生日|会员|加赠|赠品).{0,4}(送|赠)(什么|啥)",
        r"(礼物|礼品|赠品|加赠|赠送|送)(是|为|：|:)|(赠|送)\S{0,4}(一|\d)\S{0,2}(盒|袋|瓶|份|支|罐|个)",
    ),
)
ASKED_FACTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asks), re.compile(needs)) for asks, needs in _ASKED_FACT_PATTERNS
)


# "我对核桃过敏", "孩子花生过敏": what the customer is allergic to, and the words an answer may name it by.
_ALLERGEN_WORDS = {
    "坚果": ("坚果", "核桃", "花生", "芝麻", "杏仁"),
    "海鲜": ("海鲜", "虾", "蟹", "贝", "甲壳"),
    "牛奶": ("牛奶", "乳"),
    "乳制品": ("乳",),
    "花生": ("花生", "坚果"),
    "核桃": ("核桃", "坚果"),
}
_NOT_ALLERGENS = frozenset({"对", "是", "有", "会", "都", "也", "很", "容易", "有点", "体质", "这些", "之类", "类"})


def allergens(text: str) -> list[tuple[str, ...]]:
    """For each allergen the customer says they have ("对核桃过敏": the word before 过敏), the words an answer
    must use for it."""
    tokens = words(text)
    found = []
    for n, token in enumerate(tokens):
        if token != "过敏" or n == 0:
            continue
        before = tokens[n - 1]
        if before in _NOT_ALLERGENS or not _CJK.fullmatch(before) or any(before in g for g in POPULATIONS):
            continue
        found.append(_ALLERGEN_WORDS.get(before, (before,)))
    return found


def asked_facts(text: str) -> list[re.Pattern[str]]:
    """For each kind of datum the message asks for, the pattern an answer's text must match."""
    lowered = text.lower()
    return [needs for asks, needs in ASKED_FACTS if asks.search(lowered)]

"""Elliptical follow-ups: "那孕妇呢?", "3岁的呢", "没开封的呢", "换成大衣呢".

A follow-up of this kind has no question of its own: it names a new value for one slot of the previous question
(who it is for, the product, opened or not, the season, the washing method ...) and means "the same question, with
this instead". ``elliptical`` tells such a message from a new full question (anything left once the slot words and
the follow-up particles are taken out, such as "怎么收纳" in "那大衣怎么收纳呢", makes it a question of its own), and
``substitute`` rewrites the previous question with the new value in place of the old one (or added, when the
previous question had none), so that the knowledge base is asked a whole question rather than two texts glued
together. The engine then prefers entries that mention the new value (see ``Assistant.understand``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Slot kind -> canonical value -> the words customers use for it. Longer words are matched first, so "没开封"
# is read as unopened, not as "开封".
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {
        "pregnant": ("孕妇", "怀孕", "孕期", "备孕", "孕早期", "孕中期", "孕晚期", "怀着孕", "准妈妈"),
        "nursing": ("哺乳期", "喂奶", "哺乳", "母乳期", "喂母乳"),
        "postpartum": ("坐月子", "月子", "产后", "生完孩子", "刚生完"),
        "elderly": (
            "老人",
            "老年人",
            "中老年",
            "爸妈",
            "父母",
            "我妈",
            "我爸",
            "长辈",
            "老妈",
            "老爸",
            "爷爷",
            "奶奶",
            "外婆",
            "姥姥",
            "外公",
            "老人家",
            "上了年纪",
        ),
        "child": ("小孩", "孩子", "儿童", "小朋友", "娃", "儿子", "女儿", "学生", "青少年", "小学生"),
        "infant": ("婴儿", "新生儿", "宝宝", "小宝宝", "婴幼儿", "幼儿"),
        "men": ("男的", "男人", "男士", "老公", "男生"),
        "women": ("女的", "女生", "女士", "老婆"),
        "diabetic": ("糖尿病", "血糖高", "高血糖", "控糖"),
        "menstruation": ("经期", "来例假", "例假", "大姨妈", "月经"),
        "lactose": ("乳糖不耐", "乳糖不耐受"),
        # A condition stands where a person would ("孕妇能吃吗" -> "那感冒了呢").
        "cold_fever": ("感冒", "发烧", "发热", "咳嗽", "嗓子疼"),
        "weak_stomach": ("脾胃虚弱", "胃不好", "消化不好", "肠胃不好"),
        "hypertension": ("高血压", "血压高"),
        "kidney_stone": ("肾结石", "结石"),
        "osteoporosis": ("骨质疏松",),
    },
    "state": {
        "unopened": (
            "没开封",
            "未开封",
            "没打开",
            "没拆",
            "没开",
            "未拆封",
            "没拆封",
            "不开封",
            "密封",
            "还没开",
            "没开过",
            "没拆过",
            "原封",
        ),
        "opened": (
            "开封后",
            "开封以后",
            "开封之后",
            "打开后",
            "打开以后",
            "开了以后",
            "开了盖",
            "开过盖",
            "开了口",
            "开过",
            "拆了",
            "拆过",
            "开封",
            "打开",
            "开了",
            "拆开",
            "开盖",
            "开瓶",
            "拆封",
            "没喝完",
            "没吃完",
            "喝剩",
            "吃剩",
        ),
    },
    "season": {
        "summer": ("夏天", "夏季", "天热", "三伏天", "大热天", "热天"),
        "winter": ("冬天", "冬季", "天冷", "冷天"),
        "spring_autumn": ("春天", "秋天", "春秋", "换季"),
        "humid": ("梅雨", "回南天", "南方潮湿"),
    },
    "place": {
        "freezer": ("冷冻", "冷冻室", "冻起来"),
        "fridge": ("冰箱", "冷藏"),
        "room": ("常温下", "室温"),
    },
    "method": {
        "machine": ("机洗", "洗衣机"),
        "hand": ("手洗",),
        "dry_clean": ("干洗",),
    },
    "timing": {
        "morning": ("早上", "早晨", "早饭"),
        "night": ("晚上", "睡前", "夜里"),
        "before_meal": ("饭前",),
        "after_meal": ("饭后",),
        "empty_stomach": ("空腹", "空着肚子"),
    },
}
# Product words that name a kind of product rather than one catalogue item; catalogue aliases are added per call.
PRODUCT_WORDS: tuple[str, ...] = (
    "牛奶", "鲜奶", "鲜牛奶", "酸奶", "常温奶", "纯牛奶", "巴氏奶", "奶粉", "低温奶", "儿童奶", "希腊酸奶",
    "阿胶", "阿胶糕", "阿胶块", "固元膏", "口服液", "礼盒",
    "钙片", "液体钙", "软糖", "钙软糖", "氨糖", "维D", "维生素D", "滴剂", "孕妇钙",
    "羊绒衫", "毛衣", "大衣", "围巾", "帽子", "开衫", "羊毛衫", "披肩", "手套", "外套", "针织帽",
)  # fmt: skip
_AGE = re.compile(r"\d{1,3}\s*(?:周岁|岁半|岁|个月大|个多月|个月)|[一两二三四五六七八九十]{1,3}\s*(?:周岁|岁|个月)")
_LEAD = re.compile(r"^(?:那要是|那如果是|那如果|那么|如果是|如果|要是|换成|换做|换了|改成|那换成|那|还有|假如)")
# What may stand beside the slot words in "the same question" ("那孕妇也可以吗", "3岁的呢", "开封以后呢").
_FILLER = re.compile(
    r"也一样吗|也一样|一样吗|一样|也可以吗|也行吗|也能吗|可以吗|行吗|能吗|也是吗|也这样吗|的话呢|的话|"
    r"以后|之后|后|时候|呢|的|吗|呀|啊|吧|嘛|是|也|还|呐|哦|我|家|给|用|人|喝|吃|穿|戴|要|怎么样|怎样|"
    r"[\s?？!！。，,.~～、]"
)
_MAX_LENGTH = 16


@dataclass(frozen=True)
class Mention:
    kind: str
    value: str  # canonical value (a catalogue SKU for a product the catalogue names)
    word: str  # the word as written
    start: int
    end: int


@dataclass(frozen=True)
class Resolution:
    query: str  # the previous question with the new slot values in place
    mentions: tuple[Mention, ...]  # what the follow-up changed
    replaced: tuple[Mention, ...]  # the previous question's values that were replaced


def _vocabulary(product_aliases: Mapping[str, str]) -> list[tuple[str, str, str]]:
    vocab = [(w, kind, value) for kind, values in LEXICON.items() for value, ws in values.items() for w in ws]
    vocab += [(w, "product", product_aliases.get(w, w)) for w in PRODUCT_WORDS]
    vocab += [(w, "product", sku) for w, sku in product_aliases.items()]
    return sorted(vocab, key=lambda t: -len(t[0]))


def mentions(text: str, product_aliases: Mapping[str, str] | None = None) -> list[Mention]:
    """The slot values a text names, longest first and without overlaps, in reading order."""
    taken = [False] * len(text)
    found: list[Mention] = []
    for m in _AGE.finditer(text):
        # Any age is one value: "3岁的呢" is answered by the entry about ages ("五十岁的人..."), whatever the number.
        found.append(Mention("person", "age", m.group(0), m.start(), m.end()))
        taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    for word, kind, value in _vocabulary(product_aliases or {}):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if not any(taken[start:end]):
                found.append(Mention(kind, value, word, start, end))
                taken[start:end] = [True] * len(word)
            start = text.find(word, end)
    return sorted(found, key=lambda m: m.start)


def elliptical(text: str, product_aliases: Mapping[str, str] | None = None) -> list[Mention] | None:
    """The slot values of a follow-up that only names them ("那孕妇呢"), or None for a question of its own."""
    t = text.strip()
    if not t or len(t) > _MAX_LENGTH:
        return None
    lead = _LEAD.match(t)
    body = t[lead.end() :] if lead else t
    found = mentions(body, product_aliases)
    if not found:
        return None
    rest = body
    for m in sorted(found, key=lambda m: -m.start):
        rest = rest[: m.start] + " " + rest[m.end :]
    if _FILLER.sub("", rest):
        return None  # "那大衣怎么收纳呢": a predicate of its own
    marked = bool(lead) or t.rstrip("?？。!！ ").endswith("呢") or len(found) == len(body.strip("?？。!！ "))
    return found if marked or len(t) <= 6 else None


def substitute(topic: str, new: Iterable[Mention], product_aliases: Mapping[str, str] | None = None) -> Resolution:
    """The previous question with each new value in place of the old value of its kind (added in front if the
    question had none): "钙片一天吃几片" + 孕妇 -> "孕妇钙片一天吃几片", "羊绒衫能机洗吗" + 大衣 -> "大衣能机洗吗"."""
    new = list(new)
    old = mentions(topic, product_aliases)
    kinds = {m.kind for m in new}
    replaced = [m for m in old if m.kind in kinds]
    edits: list[tuple[Mention, str]] = []  # (old span, what replaces it)
    added: list[str] = []
    for kind in dict.fromkeys(m.kind for m in new):
        words = "".join(m.word for m in new if m.kind == kind)
        spans = [m for m in replaced if m.kind == kind]
        if not spans:
            added.append(words)
            continue
        # The first old value of the kind takes the new words, any further ones go.
        edits += [(m, words if n == 0 else "") for n, m in enumerate(spans)]
    query = topic
    for m, words in sorted(edits, key=lambda e: -e[0].start):  # from the right, so earlier offsets still hold
        query = query[: m.start] + words + query[m.end :]
    if added:
        # A space keeps an added word from forming a product name with the next one ("孕妇" + "钙片...").
        query = "".join(added) + " " + query
    return Resolution(query=query, mentions=tuple(new), replaced=tuple(replaced))


def default_products(catalogue_names: Mapping[str, str]) -> dict[str, str]:
    """The product a general word means when the catalogue has several of its kind: the one with the shortest
    name that contains it, if only one is that short ("酸奶" is the plain 低温酸奶, not 希腊式浓缩酸奶; "牛奶" with four
    names of five characters means none). ``catalogue_names``: SKU -> the name without the brand."""
    out: dict[str, str] = {}
    for word in PRODUCT_WORDS:
        named = sorted((len(name), sku) for sku, name in catalogue_names.items() if word in name)
        if named and (len(named) == 1 or named[0][0] < named[1][0]):
            out[word] = named[0][1]
    return out


def entry_values(texts: Iterable[str], products: Iterable[str], product_aliases: Mapping[str, str]) -> frozenset[str]:
    """Every slot value an entry's phrasings and tags name, its products' SKUs, and the general product words
    inside longer names ("酸奶" in "希腊酸奶")."""
    values = set(products)
    for text in texts:
        values.update(m.value for m in mentions(text, product_aliases))
        values.update(w for w in PRODUCT_WORDS if w in text)
    return frozenset(values)

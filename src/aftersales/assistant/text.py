"""Tokens for Chinese retrieval: jieba words plus character bigrams, so a paraphrase that jieba splits
differently ("保质期多久" / "保质多长时间") still shares most of its tokens with the stored question."""

from __future__ import annotations

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


def char_unigrams(text: str) -> list[str]:
    return ["@" + c for run in _CJK.findall(text) for c in run]


def retrieval_tokens(text: str) -> list[str]:
    """What the ranking index sees: words, character bigrams and single characters (prefixed so they never
    collide with words). Single characters let "缩" match "缩水" when jieba keeps the word whole."""
    return words(text) + char_bigrams(text) + char_unigrams(text)


def baseline_tokens(text: str) -> list[str]:
    """The plain BM25 baseline's view: jieba words only, nothing else."""
    warm_up()
    return [t for t in jieba.lcut(text.lower()) if _KEEP.fullmatch(t)]

"""FAQ retrieval: every phrasing of every entry is a BM25 document (bm25s); an entry scores as its best phrasing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from aftersales.assistant.text import retrieval_tokens

Tokenizer = Callable[[str], list[str]]


@dataclass(frozen=True)
class Hit:
    entry: int  # index into the entries the index was built from
    score: float
    doc: int  # which phrasing matched
    overlap: float  # share of the query's tokens found in that phrasing
    rank_score: float = 0.0  # the learned ranker's probability that this entry answers (0 when there is none)


class FaqIndex:
    """BM25 over the questions of a list of entries (any objects with a ``questions`` sequence)."""

    def __init__(
        self,
        questions_per_entry: Sequence[Sequence[str]],
        tokenizer: Tokenizer = retrieval_tokens,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        answer_last: bool = False,
    ) -> None:
        """``answer_last``: the last text of each entry is its answer document, not a customer phrasing."""
        self.tokenizer = tokenizer
        docs: list[list[str]] = []
        owner: list[int] = []
        answer_doc: list[bool] = []
        for i, questions in enumerate(questions_per_entry):
            for n, q in enumerate(questions):
                docs.append(tokenizer(q))
                owner.append(i)
                answer_doc.append(answer_last and n == len(questions) - 1)
        self.doc_entry = np.asarray(owner, dtype=np.int64)
        self.doc_tokens = [frozenset(d) for d in docs]
        self.doc_token_lists = docs
        self.is_answer_doc = answer_doc
        self.doc_text = [q for qs in questions_per_entry for q in qs]
        self.size = len(docs)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if docs:
            self._bm25.index(docs, show_progress=False)
        self._vocab = set(getattr(self._bm25, "vocab_dict", {}) or {})

    def search(
        self,
        text: str,
        k: int = 5,
        *,
        exclude_doc: int | None = None,
        tokens: list[str] | None = None,
        exclude_docs: np.ndarray | None = None,
    ) -> list[Hit]:
        """The k best entries for a text, best first; ``exclude_doc`` leaves one phrasing out, ``exclude_docs``
        (document ids) several (self-evaluation)."""
        query = tokens if tokens is not None else self.tokenizer(text)
        known = [t for t in query if t in self._vocab]
        if not known or self.size == 0:
            return []
        scores = self._bm25.get_scores(known)
        if exclude_doc is not None:
            scores = scores.copy()
            scores[exclude_doc] = 0.0
        if exclude_docs is not None and len(exclude_docs):
            if exclude_doc is None:
                scores = scores.copy()
            scores[exclude_docs] = 0.0
        # Several phrasings per entry: look at enough top documents to find k distinct entries.
        n = min(self.size, max(k * 8, 40))
        top = np.argpartition(-scores, n - 1)[:n] if n < self.size else np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        hits: list[Hit] = []
        seen: set[int] = set()
        query_set = set(query)
        for doc in top:
            score = float(scores[doc])
            if score <= 0:
                break
            entry = int(self.doc_entry[doc])
            if entry in seen:
                continue
            seen.add(entry)
            overlap = len(query_set & self.doc_tokens[doc]) / max(1, len(query_set))
            hits.append(Hit(entry=entry, score=score, doc=int(doc), overlap=overlap))
            if len(hits) == k:
                break
        return hits


class EntryIndex:
    """BM25 over one document per entry (all its phrasings' tokens together): a query whose words are spread over
    several sibling phrasings ("阿胶糕" in one, "冰箱" in another) still finds the entry that has them all."""

    def __init__(self, doc_tokens: Sequence[Sequence[str]], doc_entry: Sequence[int], entries: int) -> None:
        grouped: list[list[str]] = [[] for _ in range(entries)]
        for tokens, entry in zip(doc_tokens, doc_entry, strict=True):
            grouped[int(entry)].extend(tokens)
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index([g or ["\u0000"] for g in grouped], show_progress=False)
        self._vocab = set(getattr(self._bm25, "vocab_dict", {}) or {})
        self.size = entries

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size)
        return np.asarray(self._bm25.get_scores(known))

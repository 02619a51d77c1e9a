"""Chinese subtitle words: segmentation (jieba), traditional to simplified characters (OpenCC),
an emotion lexicon, negation and degree adverbs. The text stage (text.py) turns the result into
the same cues as for English.

The lexicon is EmoCue's own (``chinese_lexicon.tsv``, written for this project) unless a lab
points the proposer at a lexicon file it holds a licence for: DUTIR's affective lexicon ontology
as distributed (xlsx or CSV with the columns 词语, 情感分类, 强度, 极性), or any word list with
the columns word, emotions, valence. See docs/signal-proposer.md for why DUTIR is not built in.

Scoring follows VADER's rules so that Chinese and English valences read alike: word valences
on VADER's -4..4 scale; a negation among the three words before a word multiplies it by -0.74;
a degree adverb before it (很, 非常, 有点) or an intensifying complement after it (极了, 死了,
得很) scales it; each exclamation mark adds 0.292 in the direction of the sum (at most four);
the sum s becomes s / sqrt(s^2 + 15). A negated emotion word counts for the valence but not for
its emotion ("不开心" is negative, not joy). English words inside a Chinese subtitle are looked
up in VADER's lexicon and the NRC emotion lexicon, as in the English stage.

Example:
    >>> analyse_chinese("我真的很不开心！", load_chinese_lexicon())["valence"]  # doctest: +SKIP
    -0.5064
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .english import NRC_EMOTIONS, booster_factor, is_negation, nrc_lookup, vader

__all__ = [
    "BUILTIN_LEXICON",
    "ChineseLexicon",
    "LexiconEntry",
    "LexiconError",
    "analyse_chinese",
    "load_chinese_lexicon",
]

BUILTIN_LEXICON = Path(__file__).with_name("chinese_lexicon.tsv")
EMOTIONS = ("joy", "sadness", "anger", "fear", "surprise", "disgust")

# VADER's constants (Hutto & Gilbert 2014): the negation scalar, the weight of one "!", and
# the normalisation alpha of the compound score.
_NEGATION_SCALAR = -0.74
_EXCLAMATION_WEIGHT = 0.292
_MAX_EXCLAMATIONS = 4
_ALPHA = 15.0
_WINDOW = 3  # words looked back for a negation or a degree adverb, as VADER does

# Negation words. Whole tokens only (jieba keeps 非常, 未来, 别人, 无论 as words of their own),
# or the first characters of a token whose rest is a lexicon word (别难过, 不开心).
_NEGATORS = frozenset(
    """不 没 没有 别 未 无 非 莫 勿 甭 不要 不用 不必 不会 不能 不是 不再 并不 并没有 并非 从不
    从没 从没有 从未 绝不 决不 毫不 永不 别再 未曾 不曾 未必""".split()
)
# Degree adverbs before a word, and the factor they scale its valence by.
_DEGREE: dict[str, float] = {
    **dict.fromkeys(
        """非常 特别 十分 极其 极 极度 太 超 超级 万分 无比 格外 分外 相当 实在 简直 异常 最
        尤其 绝对 多么 如此 好不""".split(),
        1.5,
    ),
    **dict.fromkeys("很 真 真的 挺 好 蛮 更 更加 越来越 那么 这么 够 怪".split(), 1.25),
    **dict.fromkeys("有点 有点儿 有些 有一点 稍 稍微 稍稍 略 略微 比较 还算 些许".split(), 0.6),
}
# Complements after a word that intensify it (高兴极了, 气死了, 糟透了, 累得要命).
_AFTER = ("得不得了", "得要命", "得要死", "得很", "极了", "死了", "坏了", "透了", "死", "极")
_AFTER_FACTOR = 1.5
# Sentence-final particles jieba leaves glued to a word (太棒了, 好呀).
_PARTICLES = ("了", "啊", "呀", "啦", "的", "吧", "呢", "哦", "嘛", "哈")
_CLAUSE_END = frozenset(",.!?;:~，。！？；：、…～「」『』“”\"'()（）[]【】《》<>—-")
_QUESTION_PARTICLE = re.compile(r"吗(?=[\s,.!?;:~，。！？；：…～]|$)")
_RHETORICAL = "难道"
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")

# DUTIR's 21 emotion classes (Xu et al. 2008) in its seven groups. "good" (好: respect, praise,
# trust, fondness, wishes) is counted and not cued, as the English stage does with NRC's trust.
_DUTIR_CLASSES = {
    **dict.fromkeys(("PA", "PE"), "joy"),
    **dict.fromkeys(("PD", "PH", "PG", "PB", "PK"), "good"),
    "NA": "anger",
    **dict.fromkeys(("NB", "NJ", "NH", "PF"), "sadness"),
    **dict.fromkeys(("NI", "NC", "NG"), "fear"),
    **dict.fromkeys(("NE", "ND", "NN", "NK", "NL"), "disgust"),
    "PC": "surprise",
}
# DUTIR's strength 1..9 onto VADER's scale (9 -> 3.0, 5 -> 1.67); polarity 0 neutral, 1
# positive, 2 negative, 3 both (read as neutral).
_DUTIR_SIGN = {0: 0.0, 1: 1.0, 2: -1.0, 3: 0.0}


@dataclass(frozen=True)
class LexiconEntry:
    valence: float
    emotions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChineseLexicon:
    """An emotion lexicon: simplified-character word -> valence and emotions.

    Attributes:
        name: for cue evidence ("EmoCue built-in Chinese lexicon", or the file's name).
        layout: "emocue" (word, emotions, valence) or "dutir" (DUTIR's columns).
        sha256: of the file, stamped into the proposer's version when it is not the built-in.
        entries: the words.
    """

    name: str
    layout: str
    sha256: str
    entries: Mapping[str, LexiconEntry]

    def __len__(self) -> int:
        return len(self.entries)


class LexiconError(ValueError):
    """A lexicon file cannot be used; the message names the file, and the row where it helps."""


def load_chinese_lexicon(path: str | Path | None = None) -> ChineseLexicon:
    """The built-in lexicon (``path`` empty or None) or a lab's lexicon file.

    Args:
        path: a ``.xlsx``, ``.csv``, ``.tsv`` or ``.txt`` file, either in DUTIR's layout
            (columns 词语, 情感分类, 强度, 极性, and optionally 辅助情感分类 with its own 强度 and
            极性) or in EmoCue's (word, emotions, valence).
    Returns:
        The lexicon (cached per file content).
    Raises:
        LexiconError: the file is missing, unreadable, of neither layout, or has a bad row.
    Example:
        >>> len(load_chinese_lexicon()) > 200
        True
    """
    file = BUILTIN_LEXICON if not path else Path(path).expanduser()
    if not file.is_file():
        raise LexiconError(f"the Chinese lexicon file was not found: {file}")
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    return _parse_lexicon(file.name, data, digest, file == BUILTIN_LEXICON)


@functools.lru_cache(maxsize=4)
def _parse_lexicon(filename: str, data: bytes, sha256: str, builtin: bool) -> ChineseLexicon:
    rows = _xlsx_rows(filename, data) if filename.lower().endswith(".xlsx") else _text_rows(data)
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    header_at = next((i for i, row in enumerate(rows) if not row[0].lstrip().startswith("#")), None)
    if header_at is None:
        raise LexiconError(f"the Chinese lexicon {filename} is empty")
    header = [cell.strip().lower() for cell in rows[header_at]]
    body = rows[header_at + 1 :]
    if "词语" in header and "情感分类" in header:
        entries = _dutir_entries(filename, header, body, header_at)
        layout = "dutir"
    elif header[:3] == ["word", "emotions", "valence"]:
        entries = _emocue_entries(filename, body, header_at)
        layout = "emocue"
    else:
        raise LexiconError(
            f"the Chinese lexicon {filename} has neither DUTIR's columns (词语, 情感分类, 强度, "
            f"极性) nor EmoCue's (word, emotions, valence); its first row is {rows[header_at]}"
        )
    if not entries:
        raise LexiconError(f"the Chinese lexicon {filename} has no words")
    name = "EmoCue built-in Chinese lexicon" if builtin else filename
    return ChineseLexicon(name=name, layout=layout, sha256=sha256, entries=entries)


def _text_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # DUTIR's CSV copies circulate in both
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LexiconError("the Chinese lexicon is neither UTF-8 nor GB18030 text")
    header = next(
        (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")),
        "",
    )
    delimiter = "\t" if "\t" in header else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(filename: str, data: bytes) -> list[list[str]]:
    import openpyxl  # only for lexicon files in Excel form

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise LexiconError(
            f"the Chinese lexicon {filename} cannot be read as an Excel file: {exc}"
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        book.close()


def _number(filename: str, line: int, what: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise LexiconError(
            f"the Chinese lexicon {filename}, row {line}: {what} {value!r} is not a number"
        ) from None
    if not math.isfinite(number):
        raise LexiconError(f"the Chinese lexicon {filename}, row {line}: {what} is {value!r}")
    return number


def _emocue_entries(filename: str, body: list[list[str]], header_at: int) -> dict:
    entries: dict[str, LexiconEntry] = {}
    for offset, row in enumerate(body, start=header_at + 2):
        if row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3:
            raise LexiconError(
                f"the Chinese lexicon {filename}, row {offset}: expected word, emotions, valence"
            )
        word = row[0].strip()
        emotions = tuple(e.strip() for e in row[1].split(",") if e.strip() not in ("", "-"))
        unknown = [e for e in emotions if e not in EMOTIONS]
        if unknown:
            raise LexiconError(
                f"the Chinese lexicon {filename}, row {offset}: unknown emotion "
                f"{', '.join(unknown)} (known: {', '.join(EMOTIONS)})"
            )
        valence = _number(filename, offset, "valence", row[2])
        if not -4.0 <= valence <= 4.0:
            raise LexiconError(
                f"the Chinese lexicon {filename}, row {offset}: valence {valence} is outside -4..4"
            )
        if word:
            entries[_to_simplified(word)] = LexiconEntry(valence, emotions)
    return entries


def _dutir_entries(
    filename: str, header: list[str], body: list[list[str]], header_at: int
) -> dict[str, LexiconEntry]:
    word_at, class_at = header.index("词语"), header.index("情感分类")

    def after(name: str, start: int) -> int | None:
        return next((i for i in range(start + 1, len(header)) if header[i] == name), None)

    strength_at, polarity_at = after("强度", class_at), after("极性", class_at)
    if strength_at is None or polarity_at is None:
        raise LexiconError(f"the Chinese lexicon {filename} has 情感分类 without 强度 and 极性")
    aux_at = header.index("辅助情感分类") if "辅助情感分类" in header else None
    aux_strength = after("强度", aux_at) if aux_at is not None else None
    aux_polarity = after("极性", aux_at) if aux_at is not None else None

    def cell(row: list[str], at: int | None) -> str:
        return row[at].strip() if at is not None and at < len(row) else ""

    sums: dict[str, list[float]] = {}
    emotions: dict[str, list[str]] = {}
    for line, row in enumerate(body, start=header_at + 2):
        word = cell(row, word_at)
        if not word:
            continue
        senses = [(cell(row, class_at), cell(row, strength_at), cell(row, polarity_at))]
        if cell(row, aux_at):
            senses.append((cell(row, aux_at), cell(row, aux_strength), cell(row, aux_polarity)))
        for code, strength, polarity in senses:
            group = _DUTIR_CLASSES.get(code.upper())
            if group is None:
                raise LexiconError(
                    f"the Chinese lexicon {filename}, row {line}: unknown emotion class {code!r}"
                )
            level = _number(filename, line, "强度", strength or "0")
            sign = _DUTIR_SIGN.get(int(_number(filename, line, "极性", polarity or "0")))
            if sign is None:
                raise LexiconError(
                    f"the Chinese lexicon {filename}, row {line}: 极性 {polarity!r} is not 0-3"
                )
            key = _to_simplified(word)
            sums.setdefault(key, []).append(sign * min(max(level, 0.0), 9.0) / 3.0)
            found = emotions.setdefault(key, [])
            if group not in found:
                found.append(group)
    # a word with several senses (several rows) takes their mean valence
    return {
        word: LexiconEntry(round(sum(vals) / len(vals), 3), tuple(emotions[word]))
        for word, vals in sums.items()
    }


# --- normalising the text -------------------------------------------------------------------


def _fold_width(text: str) -> str:
    """Full-width ASCII forms (ＯＫ, ！, ？, ，) and the ideographic space as their plain
    forms, one character for one, so offsets into the original stay valid."""
    return "".join(
        chr(ord(ch) - 0xFEE0) if 0xFF01 <= ord(ch) <= 0xFF5E else " " if ch == "\u3000" else ch
        for ch in text
    )


@functools.lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc  # OpenCC's own phrase tables: 乾淨 -> 干净 but 乾隆 stays

    return opencc.OpenCC("t2s.json").convert


def _to_simplified(text: str) -> str:
    return _t2s()(text) if text else text


_jieba_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces building its prefix dictionary otherwise
    with _jieba_lock:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
    return tokenizer


# --- tokens -------------------------------------------------------------------------------


@dataclass
class _Token:
    text: str  # simplified, width-folded
    start: int  # offsets into the subtitle as given
    end: int


def _segment(simplified: str) -> list[_Token]:
    tokens, at = [], 0
    for piece in _tokenizer().cut(simplified, HMM=True):
        tokens.append(_Token(piece, at, at + len(piece)))
        at += len(piece)
    return tokens


def _is_word(text: str, lexicon: ChineseLexicon) -> bool:
    return text in lexicon.entries or text in _NEGATORS or text in _DEGREE


def _split_known(token: _Token, lexicon: ChineseLexicon, depth: int = 0) -> list[_Token] | None:
    """A jieba token that glues a negation, a degree adverb or a particle to a lexicon word
    (别难过, 不太好, 太棒了, 累死了), split into those parts; None when it is not one."""
    text = token.text
    if text in lexicon.entries:
        return [token]
    if depth > 3 or len(text) < 2:
        return None
    for prefix in sorted((*_NEGATORS, *_DEGREE), key=len, reverse=True):
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = _Token(text[len(prefix) :], token.start + len(prefix), token.end)
            parts = _split_known(rest, lexicon, depth + 1)
            if parts is not None:
                return [_Token(prefix, token.start, token.start + len(prefix)), *parts]
    for suffix in (*_AFTER, *_PARTICLES):
        if text.endswith(suffix) and len(text) > len(suffix):
            cut = len(text) - len(suffix)
            head = _Token(text[:cut], token.start, token.start + cut)
            parts = _split_known(head, lexicon, depth + 1)
            if parts is not None:
                return [*parts, _Token(suffix, token.start + cut, token.end)]
    return None


def _split_inner(token: _Token, lexicon: ChineseLexicon) -> list[_Token]:
    """A token with a lexicon word of two or more characters inside (气死我了): cut around the
    longest, leftmost one. Single-character words are not looked for inside other words (好 in
    好像, 美 in 美国)."""
    text = token.text
    for size in range(len(text) - 1, 1, -1):
        for i in range(len(text) - size + 1):
            if text[i : i + size] in lexicon.entries:
                parts = []
                if i:
                    parts.append(_Token(text[:i], token.start, token.start + i))
                parts.append(_Token(text[i : i + size], token.start + i, token.start + i + size))
                if i + size < len(text):
                    tail = _Token(text[i + size :], token.start + i + size, token.end)
                    parts.extend(_split_known(tail, lexicon) or [tail])
                return parts
    return [token]


def _refine(tokens: list[_Token], lexicon: ChineseLexicon) -> list[_Token]:
    out: list[_Token] = []
    for token in tokens:
        if _is_word(token.text, lexicon) or not re.search(r"[\u3400-\u9fff]", token.text):
            out.append(token)
        else:
            out.extend(_split_known(token, lexicon) or _split_inner(token, lexicon))
    # a negation glued to the word before it (你别 | 爱): cut off when a scored word follows
    split: list[_Token] = []
    for i, token in enumerate(out):
        following = out[i + 1].text if i + 1 < len(out) else ""
        glued = next(
            (
                n
                for n in sorted(_NEGATORS, key=len, reverse=True)
                if token.text.endswith(n) and len(token.text) > len(n)
            ),
            None,
        )
        if (
            glued
            and not _is_word(token.text, lexicon)
            and (following in lexicon.entries or following in _DEGREE)
        ):
            cut = token.end - len(glued)
            split += [
                _Token(token.text[: -len(glued)], token.start, cut),
                _Token(glued, cut, token.end),
            ]
        else:
            split.append(token)
    out = split
    # lexicon phrases of three or more characters that jieba cut apart (我的天, 没想到)
    merged: list[_Token] = []
    i = 0
    while i < len(out):
        for j in range(min(len(out), i + 4), i + 1, -1):
            joined = "".join(t.text for t in out[i:j])
            if len(joined) >= 3 and joined in lexicon.entries:
                merged.append(_Token(joined, out[i].start, out[j - 1].end))
                i = j
                break
        else:
            merged.append(out[i])
            i += 1
    return merged


def _boundary(token: _Token) -> bool:
    """Punctuation, or a space (burned-in subtitles often separate phrases by spaces)."""
    return token.text.isspace() or all(ch in _CLAUSE_END for ch in token.text)


def _between_latin_words(tokens: list[_Token], at: int) -> bool:
    return (
        tokens[at].text.isspace()
        and 0 < at < len(tokens) - 1
        and bool(_LATIN_WORD.fullmatch(tokens[at - 1].text))
        and bool(_LATIN_WORD.fullmatch(tokens[at + 1].text))
    )


# --- English words inside Chinese text ---------------------------------------------------------


def _english_entry(word: str) -> LexiconEntry | None:
    valence = vader().lexicon.get(word)
    emotions = tuple(c for c in nrc_lookup(word) if c in NRC_EMOTIONS)
    if valence is None and not emotions:
        return None
    return LexiconEntry(float(valence or 0.0), emotions)


def _negates(token: _Token) -> bool:
    if token.text in _NEGATORS:
        return True
    return bool(_LATIN_WORD.fullmatch(token.text)) and is_negation(token.text.lower())


def _degree(token: _Token) -> float | None:
    if token.text in _DEGREE:
        return _DEGREE[token.text]
    return booster_factor(token.text.lower()) if _LATIN_WORD.fullmatch(token.text) else None


# --- the analysis -------------------------------------------------------------------------


def analyse_chinese(text: str, lexicon: ChineseLexicon) -> dict[str, Any]:
    """Words, valence and emotions of one Chinese (or mixed Chinese and English) subtitle.

    Args:
        text: the subtitle as given (simplified or traditional, full-width forms allowed).
        lexicon: from :func:`load_chinese_lexicon`.
    Returns:
        ``tokens`` (the words, as in the subtitle), ``valence`` (in [-1, 1]),
        ``emotion_words`` ({emotion: [words as in the subtitle]}), ``question``,
        ``question_marker`` ("?", "吗" or "难道"), ``exclamation``, ``negations`` (the negation
        words), ``negated`` (lexicon words under a negation), ``intensified`` (degree words),
        ``scored`` ([(word, valence after negation and degree)]), ``traditional`` (whether the
        text was converted to simplified characters to be read).
    """
    folded = _fold_width(text)
    simplified = _to_simplified(folded)
    aligned = len(simplified) == len(folded)
    if not aligned:  # OpenCC changed the length (very rare): quote the simplified form
        text = simplified
    tokens = _refine(_segment(simplified), lexicon)

    def original(token: _Token) -> str:
        return text[token.start : token.end]

    words = [t for t in tokens if not _boundary(t)]
    negations: list[str] = []
    negated: list[str] = []
    intensified: list[str] = []
    scored: list[tuple[str, float]] = []
    emotion_words: dict[str, list[str]] = {}
    used: set[int] = set()
    total = 0.0
    for i, token in enumerate(tokens):
        if _negates(token):
            negations.append(original(token))
            continue
        if i in used or _boundary(token):
            continue
        entry = _entry(token, lexicon)
        if entry is None:
            continue
        following = next((t for t in tokens[i + 1 :] if not t.text.isspace()), None)
        if token.text in _DEGREE and following is not None and _entry(following, lexicon):
            continue  # 好 in 好开心 is "so", not "good"
        valence, negate, factor = entry.valence, False, 1.0
        back = i
        for _ in range(_WINDOW):
            back -= 1
            while back > 0 and _between_latin_words(tokens, back):
                back -= 1  # "not happy": a space between English words ends no clause
            if back < 0 or _boundary(tokens[back]):
                break
            before = tokens[back]
            if _negates(before):
                negate = not negate
            degree = _degree(before)
            if degree is not None and factor == 1.0:
                factor = degree
                intensified.append(original(before))
        rest = "".join(t.text for t in tokens[i + 1 : i + 4])
        for complement in _AFTER:
            if rest.startswith(complement):
                factor *= _AFTER_FACTOR
                covered, j = 0, i + 1
                while covered < len(complement) and j < len(tokens):
                    covered += len(tokens[j].text)
                    used.add(j)
                    j += 1
                intensified.append(complement)
                break
        valence *= factor
        if negate:
            valence *= _NEGATION_SCALAR
            negated.append(original(token))
        else:
            for emotion in entry.emotions:
                found = emotion_words.setdefault(emotion, [])
                if original(token) not in found:
                    found.append(original(token))
        scored.append((original(token), round(valence, 3)))
        total += valence
    exclamations = min(folded.count("!"), _MAX_EXCLAMATIONS)
    if total:
        total += math.copysign(_EXCLAMATION_WEIGHT * exclamations, total)
    compound = total / math.sqrt(total * total + _ALPHA) if total else 0.0
    marker = (
        "?"
        if "?" in folded
        else "吗"
        if _QUESTION_PARTICLE.search(simplified)
        else _RHETORICAL
        if _RHETORICAL in simplified
        else None
    )
    return {
        "tokens": [original(t) for t in words],
        "valence": round(max(-1.0, min(1.0, compound)), 4),
        "emotion_words": emotion_words,
        "question": marker is not None,
        "question_marker": marker,
        "exclamation": "!" in folded,
        "negations": negations,
        "negated": negated,
        "intensified": list(dict.fromkeys(intensified)),
        "scored": scored,
        "traditional": simplified != folded,
    }


def _entry(token: _Token, lexicon: ChineseLexicon) -> LexiconEntry | None:
    if token.text in lexicon.entries:
        return lexicon.entries[token.text]
    if _LATIN_WORD.fullmatch(token.text):
        return _english_entry(token.text.lower())
    return None

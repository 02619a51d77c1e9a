"""Cue extraction: free-text emotion description -> atomic cues per modality.

The default :class:`RuleCueExtractor` runs offline and needs no model: it splits the
description into sentences and clauses, takes each clause's modality from the
description's own structure ("In the video", "In the audio", "In the text") and from
word lists of each modality (optionally from sentence-embedding prototypes when the words
say nothing), turns quoted speech into subtitle cues, reads the closing "emotional state
is ..." list as one cue per emotion, and trims hedges and connectives so that each cue
is one observation. :class:`~inference.emocue360.chat.ChatCueExtractor` asks an
OpenAI-compatible chat endpoint instead, as the paper did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

import numpy as np

from .cues import KIND_INFERENCE, KIND_OBSERVATION, KIND_SUBTITLE, MODALITIES, Cue, CueSet
from .embedding import Encoder


class CueExtractor(Protocol):
    """Anything that turns one description into {"visual", "auditory", "emotional"} cues."""

    def extract(self, text: str) -> CueSet: ...


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + pattern + r")\b", re.IGNORECASE)


VISUAL_WORDS = _words(
    r"face|faces|facial|(?:his|her|their) expressions?|eyes?|eyebrows?|brows?|forehead|mouth"
    r"|lips?|teeth|tooth|smil(?:e|es|ed|ing)|grin(?:s|ned|ning)?|frown(?:s|ed|ing)?|star(?:e|es|ed|ing)"
    r"|gaze[sd]?|gazing|glanc(?:e|es|ed|ing)|glar(?:e|es|ed|ing)|squint(?:s|ed|ing)?"
    r"|blink(?:s|ed|ing)?|tears?|tearful|head|nod(?:s|ded|ding)?|shook|shak(?:e|es|ing)"
    r"|hands?|arms?|fingers?|shoulders?|posture|body|lean(?:s|ed|ing)?|sat|sits?|sitting"
    r"|stood|stands?|standing|walk(?:s|ed|ing)?|gestur(?:e|es|ed|ing)|cheeks?|chin|nose"
    r"|dimples?|pout(?:s|ed|ing)?|jaw|clench(?:es|ed|ing)?|pale|blush(?:es|ed|ing)?"
    r"|look(?:s|ed|ing)? (?:at|down|up|away|around|aside|straight)|appearance|dressed"
    r"|wearing|scene|environment|lighting|dim|background|room|camera|glasses|wide-eyed"
)
AUDITORY_WORDS = _words(
    r"voices?|voiced|tone|tones|speak(?:s|ing)?|spoke|spoken|speech|intonation|pitch"
    r"|volume|loud(?:ly|er)?|quiet(?:ly)?|whisper(?:s|ed|ing)?|shout(?:s|ed|ing)?"
    r"|yell(?:s|ed|ing)?|scream(?:s|ed|ing)?|roar(?:s|ed|ing)?|sigh(?:s|ed|ing)?"
    r"|sniff(?:s|ed|ing|led|ling)?|sob(?:s|bed|bing)?|laugh(?:s|ed|ing|ter)?|chuckl(?:e|es|ed)"
    r"|giggl(?:e|es|ed)|stutter(?:s|ed|ing)?|stammer(?:s|ed|ing)?|paus(?:e|es|ed)"
    r"|breath(?:s|ing)?|gasp(?:s|ed|ing)?|sounds?|audio|rhythm|pace|tempo|cadence|accent"
    r"|exclaim(?:s|ed)?|choked|crying tone|talk(?:s|ed|ing)? (?:quickly|slowly|loudly|softly)"
)
EMOTIONAL_WORDS = _words(
    r"emotions?|emotional|mood|moods|feel(?:s|ing|ings)?|felt|happy|happiness|joy|joyful"
    r"|glad|delight(?:ed)?|pleased|excit(?:ed|ement)|cheerful|sad|sadness|sorrow|grief"
    r"|upset|unhappy|depressed|disappoint(?:ed|ment)|anger|angry|annoy(?:ed|ance)"
    r"|irritat(?:ed|ion)|furious|rage|frustrat(?:ed|ion)|dissatisf(?:ied|action)"
    r"|disgust(?:ed)?|contempt|fear|fearful|afraid|scared|anxious|anxiety|nervous(?:ness)?"
    r"|worr(?:y|ied|ies)|concern(?:ed)?|tense|tension|surprise[ds]?|shock(?:ed)?"
    r"|astonish(?:ed|ment)|amazed?|confus(?:ed|ion)|helpless(?:ness)?|shy(?:ness)?"
    r"|timid(?:ity)?|embarrass(?:ed|ment)|guilt(?:y)?|ashamed|shame|grateful|gratitude"
    r"|thankful|relie(?:f|ved)|calm|relaxed|content(?:ed|ment)|love|proud|pride|jealous"
    r"|envy|lonely|hope(?:ful)?|anticipation|eager(?:ly)?|reluctan(?:t|ce)|positive"
    r"|negative|passionate(?:ly)?|resent(?:ful|ment)?|despair|hurt|miserable|aggrieved"
    r"|impatien(?:t|ce)|doubt(?:ful)?|suspicio(?:n|us)|puzzled|sarcas(?:m|tic)|mock(?:ing)?"
    r"|teas(?:e|ing|ed)|indifferen(?:t|ce)|pleas(?:es|ed|ing|ant)|excitedly"
)
# Clauses that interpret rather than observe ("..., indicating that he is nervous").
INTERPRETING_START = re.compile(
    r"^(?:indicating|suggesting|showing|revealing|demonstrating|expressing|reflecting"
    r"|implying|conveying|making (?:him|her|them)|which (?:shows|suggests|indicates|reflects))\b",
    re.IGNORECASE,
)

SECTION_HEADERS = [
    (
        re.compile(
            r"^(?:in|from|within) the (?:video|visuals?|images?|frames?|picture|scene)\b,?\s*", re.I
        ),
        "visual",
    ),
    (re.compile(r"^(?:in|from) the (?:audio|voice|speech|sound)\b,?\s*", re.I), "auditory"),
    (
        re.compile(r"^(?:in|from) the (?:text|subtitles?|dialogue|lines?|transcript)\b,?\s*", re.I),
        "text",
    ),
]
CONCLUSION_START = re.compile(
    r"^(?:therefore|thus|hence|so|in summary|in conclusion|overall|to sum up|all in all"
    r"|based on|combined with|combining|taken together|considering|in short)\b",
    re.IGNORECASE,
)
EMOTION_LIST = re.compile(
    r"emotional (?:state|states)\s+(?:is|was|are|were|might be|may be|could be|can be"
    r"|appears to be|seems to be|as)\s+(?:inferred to be\s+|mainly\s+|primarily\s+|mostly\s+)?"
    r"(?:one of\s+|that of\s+|a state of\s+|a mix(?:ture)? of\s+)?(?P<list>.+)$",
    re.IGNORECASE,
)
LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*|\s+as well as\s+")

LEADING_FILLER = re.compile(
    r"^(?:and|but|or|while|whereas|also|then|meanwhile|moreover|furthermore|additionally"
    r"|in addition|at the same time|although|though|even though|as well as|with|which|who"
    r"|so|thus|still|besides|finally|later|afterwards|when|whenever|combined with|through"
    r"|considering|by saying|in the (?:later|earlier|latter|first"
    r"|second|last|final) (?:part|half|stage)(?: of the (?:video|clip|audio))?)\b[,\s]*",
    re.IGNORECASE,
)
HEDGES = [
    (
        re.compile(
            r"\bit (?:can|could) be (?:seen|observed|noticed|inferred|noted)"
            r"(?: from (?:.+?))? that\s*",
            re.I,
        ),
        "",
    ),
    (re.compile(r"\b(?:it|this) (?:is|was) (?:evident|clear|obvious|apparent) that\s*", re.I), ""),
    (
        re.compile(
            r"\b(?:it seems|it appears|we can see|one can see|we can infer)(?: that)?\s*", re.I
        ),
        "",
    ),
    (re.compile(r"\b(?:appears|seems) to be\s+|\b(?:appears|seems)\s+(?!to\b)", re.I), "is "),
    (re.compile(r"\b(?:appeared|seemed) to be\s+|\b(?:appeared|seemed)\s+(?!to\b)", re.I), "was "),
    (re.compile(r"\b(?:possibly|perhaps|probably|presumably)\s+", re.I), ""),
]
CLAUSE_SPLIT = re.compile(
    r"\s*[,;:]\s*"
    r"|\s+(?:while|whereas|but|although|though|as well as|meanwhile)\s+"
    r"|\s+and\s+(?=(?:then\s+)?(?:his|her|their|he|she|they|the|its?)\b)"
    r"|\s+and\s+(?=\w+(?:ed|s)\s+(?:his|her|their|the|a|an|up|down|away|out|at|to|with)\b)"
    r"|\s+(?=(?:indicating|suggesting|revealing|demonstrating|implying)\b)",
    re.IGNORECASE,
)
SUBJECT_PRONOUNS = {"he", "she", "they", "i", "we"}
VERB_LIKE = re.compile(
    r"^(?:\w+ed|spoke|speaks|looks|had|has|was|is|made|makes|shook|shakes|sat|sits|stood"
    r"|stands|kept|keeps|took|takes|let|lets|gave|gives|held|holds|bit|bites|wore|wears"
    r"|cried|cries|frowns|smiles|stares|sighs|nods|laughs|shouts)$",
    re.IGNORECASE,
)
QUOTED = re.compile(r"\"([^\"]+)\"|\u201c([^\u201d]+)\u201d")
PLACEHOLDER = re.compile(r"\u27e6Q(\d+)\u27e7")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[.!?])$|(?<=\u27e7)\s+(?=[A-Z])")
SUBTITLE_ONLY = re.compile(
    r"^(?:(?:the|his|her|this|that) )?(?:\w+ )?(?:subtitle|text|line|sentence|statement|phrase"
    r"|expression|question|words?|character|speaker|he|she|they)?"
    r"\s*(?:says?|said|reads?|is|was|mentions?|mentioned|used|uses|through|from)?\s*$",
    re.IGNORECASE,
)

PROTOTYPES = {
    "visual": [
        "His eyebrows are furrowed.",
        "She smiles and shows her teeth.",
        "He looks down and avoids eye contact.",
        "Her eyes are red with tears.",
        "He nods his head slowly.",
        "The room is dimly lit.",
    ],
    "auditory": [
        "His voice is loud and fast.",
        "She speaks slowly with long pauses.",
        "The tone is calm and low.",
        "He sighs deeply.",
        "There is laughter in her voice.",
    ],
    "emotional": [
        "He feels angry.",
        "She is happy and excited.",
        "He is worried about what will happen.",
        "She is disappointed by the news.",
        "He received good news.",
    ],
}


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    return text


def _trim(clause: str) -> str:
    previous = None
    clause = clause.strip()
    while previous != clause:
        previous = clause
        clause = LEADING_FILLER.sub("", clause).strip()
        for pattern, replacement in HEDGES:
            clause = pattern.sub(replacement, clause).strip()
    return clause


class RuleCueExtractor:
    """The default, offline cue extractor.

    Args:
        encoder: optional sentence encoder; when given, clauses that no word list claims
            are assigned to the modality whose prototype sentences they are closest to.
            Without it such clauses go to the described section when the description is
            structured ("In the video, ... In the audio, ..."), else to "emotional".

    Example:
        >>> RuleCueExtractor().extract(
        ...     'In the video, he frowns. In the audio, his voice is loud. '
        ...     'Therefore, his emotional state is anger.')
        {'visual': [Cue(text='He frowns.', kind='observation')],
         'auditory': [Cue(text='His voice is loud.', kind='observation')],
         'emotional': [Cue(text='The emotional state is anger.', kind='inference')]}
    """

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder
        self._centroids: np.ndarray | None = None

    # -- modality of one clause --------------------------------------------------------
    def _prototype_modality(self, clause: str) -> str:
        if self._centroids is None:
            rows = []
            for modality in MODALITIES:
                vectors = np.asarray(self.encoder.encode(PROTOTYPES[modality]), dtype=np.float64)
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
                rows.append(vectors.mean(axis=0))
            self._centroids = np.stack(rows)
        v = np.asarray(self.encoder.encode([clause])[0], dtype=np.float64)
        v /= max(np.linalg.norm(v), 1e-12)
        return MODALITIES[int(np.argmax(self._centroids @ v))]

    def classify(self, clause: str, *, section: str | None, structured: bool) -> str:
        """The modality of one clause (see the class docstring for the rules)."""
        v = len(VISUAL_WORDS.findall(clause))
        a = len(AUDITORY_WORDS.findall(clause))
        e = len(EMOTIONAL_WORDS.findall(clause))
        if INTERPRETING_START.match(clause) and (e or not (v or a)):
            return "emotional"
        if v or a:
            if v == a:
                return section if section in ("visual", "auditory") else "visual"
            return "visual" if v > a else "auditory"
        if e:
            return "emotional"
        if structured and section in ("visual", "auditory"):
            return section
        if section == "text":
            return "emotional"
        if self.encoder is not None:
            return self._prototype_modality(clause)
        return "emotional"

    # -- the description ----------------------------------------------------------------
    def extract(self, text: str) -> CueSet:
        """Extract cues from one description.

        Args:
            text: the description (e.g. an EMER "reasons"/"english" field).

        Returns:
            {"visual": [...], "auditory": [...], "emotional": [...]} of :class:`Cue`.

        Raises:
            ValueError: if ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise ValueError(f"description must be a string, got {type(text).__name__}")
        out: dict[str, list[Cue]] = {m: [] for m in MODALITIES}
        quotes: list[str] = []

        def protect(match: re.Match[str]) -> str:
            quotes.append((match.group(1) or match.group(2)).strip())
            return f"\u27e6Q{len(quotes) - 1}\u27e7"

        body = QUOTED.sub(protect, re.sub(r"\s+", " ", text).strip())

        def restore(fragment: str) -> str:
            return PLACEHOLDER.sub(lambda m: f'"{quotes[int(m.group(1))]}"', fragment)

        for quote in quotes:
            if quote.strip(" .,!?"):
                out["auditory"].append(Cue(quote, KIND_SUBTITLE))

        sentences = [s.strip() for s in SENTENCE_END.split(body) if s.strip()]
        headers = {
            modality for s in sentences for pattern, modality in SECTION_HEADERS if pattern.match(s)
        }
        structured = len(headers) >= 2
        section: str | None = None
        for sentence in sentences:
            sentence = sentence.rstrip(".!? ")
            for pattern, modality in SECTION_HEADERS:
                if pattern.match(sentence):
                    section = modality
                    sentence = pattern.sub("", sentence, count=1)
                    break
            if CONCLUSION_START.match(sentence):
                self._conclusion(sentence, out, restore)
                continue
            subject = sentence.split(" ", 1)[0].lower() if sentence else ""
            for clause in CLAUSE_SPLIT.split(sentence):
                clause = _trim(clause)
                if not clause:
                    continue
                bare = PLACEHOLDER.sub("", clause).strip()
                if SUBTITLE_ONLY.match(bare) and (
                    PLACEHOLDER.search(clause) or len(bare.split()) <= 3
                ):
                    continue  # only introduces a quote, which is already a subtitle cue
                if len(bare.split()) < 2 and not (
                    VISUAL_WORDS.search(bare) or AUDITORY_WORDS.search(bare)
                ):
                    continue
                head = clause.split(" ", 2)
                verb = head[1] if len(head) > 1 and head[0].lower().endswith("ly") else head[0]
                if subject in SUBJECT_PRONOUNS and VERB_LIKE.match(verb):
                    clause = f"{subject} {clause}"
                modality = self.classify(clause, section=section, structured=structured)
                if modality == "auditory" and PLACEHOLDER.search(clause):
                    # the quote is its own subtitle cue; an auditory cue must not restate it
                    clause = re.sub(r"\s+", " ", PLACEHOLDER.sub("", clause)).strip()
                    if len(clause.split()) < 2:
                        continue
                kind = KIND_INFERENCE if modality == "emotional" else KIND_OBSERVATION
                out[modality].append(Cue(_tidy(restore(clause)), kind))
        return {m: _dedupe(cues) for m, cues in out.items()}

    def _conclusion(self, sentence: str, out: dict[str, list[Cue]], restore) -> None:
        match = EMOTION_LIST.search(sentence)
        if match:
            for item in LIST_SPLIT.split(match.group("list")):
                item = re.sub(r"^(?:a|an|the|that of|one of)\s+", "", item.strip(" .,"), flags=re.I)
                if item:
                    out["emotional"].append(
                        Cue(_tidy(f"the emotional state is {restore(item)}"), KIND_INFERENCE)
                    )
            return
        body = CONCLUSION_START.sub("", sentence, count=1)
        for clause in CLAUSE_SPLIT.split(body):
            clause = _trim(clause)
            clause = re.sub(
                r"^(?:it is|it can be|we can|can be) inferred that\s*", "", clause, flags=re.I
            )
            bare = PLACEHOLDER.sub("", clause).strip()
            if PLACEHOLDER.search(clause) and SUBTITLE_ONLY.match(bare):
                continue
            if len(bare.split()) >= 2:
                out["emotional"].append(Cue(_tidy(restore(clause)), KIND_INFERENCE))

    def extract_many(
        self, descriptions: Mapping[str, str], *, progress: bool = False
    ) -> dict[str, CueSet]:
        """Extract cues for {sample name: description}; a tqdm bar when ``progress``."""
        return extract_many(self, descriptions, progress=progress)


def _dedupe(cues: Iterable[Cue]) -> list[Cue]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for cue in cues:
        key = (cue.text.casefold(), cue.kind)
        if key not in seen:
            seen.add(key)
            out.append(cue)
    return out


def extract_many(
    extractor: CueExtractor, descriptions: Mapping[str, str], *, progress: bool = False
) -> dict[str, CueSet]:
    """Run ``extractor`` over {sample name: description}, keeping the input order."""
    items = list(descriptions.items())
    if progress and len(items) >= 50:
        from tqdm import tqdm

        items = tqdm(items, desc="extracting cues", unit="sample")
    return {name: extractor.extract(text) for name, text in items}


def extract_cues(text: str, *, extractor: CueExtractor | None = None) -> CueSet:
    """Extract {"visual", "auditory", "emotional"} cues from one description.

    Args:
        text: the description.
        extractor: default: a :class:`RuleCueExtractor` without an encoder.

    Returns:
        {modality: [Cue, ...]}; subtitle cues have ``kind == "subtitle"``.

    Example:
        >>> extract_cues('He said "leave me alone" in a loud voice.')["auditory"]
        [Cue(text='leave me alone', kind='subtitle'), Cue(text='He said in a loud voice.', ...)]
    """
    return (extractor or RuleCueExtractor()).extract(text)

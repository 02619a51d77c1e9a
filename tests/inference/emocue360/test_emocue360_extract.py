"""The offline rule-based cue extractor."""

from __future__ import annotations

import numpy as np
import pytest

from inference.emocue360 import (
    MODALITIES,
    RuleCueExtractor,
    Scorer,
    cue_set_to_json,
    extract_cues,
    parse_cue_file,
)
from inference.emocue360.extract import PROTOTYPES

from .conftest import TableEncoder

STRUCTURED = (
    "In the video, the woman frowns and looks away from the camera, while her shoulders drop. "
    'In the audio, her voice is low and she sighs. She says "leave me alone". '
    "Therefore, it can be inferred that her emotional state is sadness, frustration, and fatigue."
)


def texts(cues):
    return [c.text for c in cues]


def test_structured_description():
    cues = extract_cues(STRUCTURED)
    assert texts(cues["visual"]) == [
        "The woman frowns.",
        "Looks away from the camera.",
        "Her shoulders drop.",
    ]
    assert [(c.text, c.kind) for c in cues["auditory"]] == [
        ("leave me alone", "subtitle"),
        ("Her voice is low.", "observation"),
        ("She sighs.", "observation"),
    ]
    assert texts(cues["emotional"]) == [
        "The emotional state is sadness.",
        "The emotional state is frustration.",
        "The emotional state is fatigue.",
    ]
    assert {c.kind for c in cues["emotional"]} == {"inference"}


def test_modality_from_words_when_the_description_has_one_section():
    cues = extract_cues(
        "In the video, he spoke loudly, stared with wide eyes, and clenched his fists, "
        "indicating that he is furious."
    )
    assert texts(cues["auditory"]) == ["He spoke loudly."]
    assert texts(cues["visual"]) == ["He stared with wide eyes.", "He clenched his fists."]
    assert texts(cues["emotional"]) == ["Indicating that he is furious."]


def test_hedges_and_connectives_are_trimmed():
    cues = extract_cues(
        "It seems that he is nervous. Meanwhile, his hands are trembling, "
        "and it can be seen that his voice appears to be shaky."
    )
    everything = [c.text for m in MODALITIES for c in cues[m]]
    assert "He is nervous." in everything
    assert "His hands are trembling." in texts(cues["visual"])
    assert "His voice is shaky." in texts(cues["auditory"])
    for text in everything:
        assert not text.lower().startswith(("and ", "meanwhile", "while ", "it seems", "it can be"))
        assert "appears" not in text


def test_every_cue_is_a_short_tidy_statement():
    cues = extract_cues(STRUCTURED + " He nods, smiles and then laughs loudly; it is over.")
    for modality in MODALITIES:
        for cue in cues[modality]:
            assert cue.text.strip() == cue.text and cue.text
            if cue.kind != "subtitle":
                assert cue.text[0].isupper() and cue.text.endswith((".", "!", "?"))
                assert len(cue.text.split()) <= 12


def test_empty_and_bad_input():
    assert extract_cues("") == {"visual": [], "auditory": [], "emotional": []}
    with pytest.raises(ValueError, match="description must be a string, got NoneType"):
        extract_cues(None)


def test_unclaimed_clauses_use_embedding_prototypes_when_an_encoder_is_given():
    table = {}
    for axis, modality in enumerate(MODALITIES):
        for sentence in PROTOTYPES[modality]:
            table[sentence] = np.eye(3)[axis]
    table["A melody hums along"] = [0.1, 1.0, 0.2]  # closest to the auditory prototypes
    description = "A melody hums along."
    with_encoder = RuleCueExtractor(encoder=TableEncoder(table)).extract(description)
    without = RuleCueExtractor().extract(description)
    assert texts(with_encoder["auditory"]) == ["A melody hums along."]
    assert texts(without["emotional"]) == ["A melody hums along."]


def test_output_round_trips_through_the_cue_file_format():
    cues = extract_cues(STRUCTURED)
    data = {"clip": cue_set_to_json(cues)}
    parsed = parse_cue_file(data, role="gold")["clip"]
    assert parsed == cues
    plain = cue_set_to_json(cues, plain=True)
    assert plain["auditory"][0] == "Subtitle text: leave me alone"
    assert all(isinstance(t, str) for m in MODALITIES for t in plain[m])


def test_strict_metric_ignores_subtitle_cues_reference_drops_them_by_substring():
    gold = {"s": cue_set_to_json(extract_cues(STRUCTURED))}
    pred = {"s": cue_set_to_json(extract_cues(STRUCTURED.replace("leave me alone", "go away")))}
    texts_needed = {
        c if isinstance(c, str) else c["text"]
        for f in (gold, pred)
        for m in MODALITIES
        for c in f["s"][m]
    }
    texts_needed |= {"Subtitle text: leave me alone", "Subtitle text: go away"}
    encoder = TableEncoder(
        {t: np.eye(len(texts_needed))[i] for i, t in enumerate(sorted(texts_needed))}
    )
    strict = Scorer(encoder=encoder).score(gold=gold, predicted=pred)
    assert strict["scores"]["paper"]["auditory"]["f1"] == pytest.approx(1.0)
    plain_gold = {"s": cue_set_to_json(extract_cues(STRUCTURED), plain=True)}
    plain_pred = {
        "s": cue_set_to_json(
            extract_cues(STRUCTURED.replace("leave me alone", "go away")), plain=True
        )
    }
    reference = Scorer(encoder=encoder).score(
        gold=plain_gold, predicted=plain_pred, mode="reference"
    )
    assert reference["scores"]["paper"]["auditory"]["f1"] == pytest.approx(1.0)


def test_clauses_that_only_introduce_a_quote_are_dropped():
    cues = extract_cues(
        'In the text, the subtitle says, "see you soon". '
        'Combined with the statement "I never liked it", it can be inferred that he is bitter.'
    )
    assert [(c.text, c.kind) for c in cues["auditory"]] == [
        ("see you soon", "subtitle"),
        ("I never liked it", "subtitle"),
    ]
    assert [c.text for c in cues["emotional"]] == ["He is bitter."]
    assert cues["visual"] == []

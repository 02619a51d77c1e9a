"""Chinese subtitle cues: the same kinds and shape as the English ones, quoting the subtitle,
with negation, degree adverbs, mixed Chinese and English, traditional characters and
full-width forms; and the lexicon files a lab can plug in instead of the built-in one."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.proposers import ClipInput, SubtitleSegment
from inference.proposers.signals import SIGNALS_VERSION, SignalProposer
from inference.proposers.signals.chinese import (
    LexiconError,
    analyse_chinese,
    load_chinese_lexicon,
)
from inference.proposers.signals.common import ModalityResult
from inference.proposers.signals.fusion import fuse
from inference.proposers.signals.text import analyse_text
from inference.proposers.signals.thresholds import TextThresholds


def clip(text: str = "", segments: tuple[SubtitleSegment, ...] = ()) -> ClipInput:
    return ClipInput(
        name="t",
        video=Path("t.mp4"),
        audio=None,
        duration_ms=6000,
        fps_num=25,
        fps_den=1,
        subtitle_text=text,
        subtitle_segments=segments,
    )


def texts(result) -> list[str]:
    return [c.text for c in result.cues]


def analyse(text: str) -> dict:
    return analyse_chinese(text, load_chinese_lexicon())


def test_timed_chinese_segments_give_the_english_cue_kinds_quoting_the_subtitle():
    segments = (
        SubtitleSegment(400, 2100, "我们赢了，我太开心了！"),
        SubtitleSegment(2500, 4200, "你为什么要骗我？我恨你。"),
    )
    result = analyse_text(clip(" ".join(s.text for s in segments), segments))
    assert result.summary["analysable"] is True and result.summary["language"] == "zh"
    assert result.summary["lexicon"] == "EmoCue built-in Chinese lexicon"
    spans = {(s.start_ms, s.end_ms) for s in segments}
    for cue in result.cues:
        assert (cue.modality, cue.kind) == ("auditory", "subtitle")
        assert (cue.start_ms, cue.end_ms) in spans
    by_span: dict[int, list[str]] = {}
    for cue in result.cues:
        by_span.setdefault(cue.start_ms, []).append(cue.text)
    assert by_span[400] == [
        '"我们赢了，我太开心了！"',
        "The words are positive.",
        'The words express joy ("赢", "开心").',
        "It is an exclamation.",
    ]
    assert by_span[2500] == [
        '"你为什么要骗我？我恨你。"',
        "The words are negative.",
        'The words express anger ("骗", "恨").',
        "It is a question.",
    ]
    positive = next(c for c in result.cues if c.text == "The words are positive.")
    assert positive.evidence["feature"] == "lexicon_valence"
    assert positive.evidence["subtitle"] == "我们赢了，我太开心了！"
    assert positive.evidence["value"] >= 0.15 and positive.evidence["intensified"] == ["太"]
    joy = next(c for c in result.cues if "joy" in c.text)
    assert joy.evidence["feature"] == "lexicon_joy_words"
    assert joy.evidence["source"] == "EmoCue built-in Chinese lexicon"
    assert result.summary["emotion_counts"] == {"joy": 2, "anger": 2}
    assert result.summary["question"] and result.summary["exclamation"]


def test_negation_turns_the_words_negative_and_the_emotion_is_not_cued():
    result = analyse_text(clip("我一点也不开心。"))
    assert texts(result) == [
        '"我一点也不开心。"',
        "The words are negative.",
        'The sentence contains a negation ("不").',
    ]
    negative = result.cues[1]
    assert negative.evidence["negated"] == ["开心"] and negative.evidence["value"] < -0.15
    assert result.summary["emotion_counts"] == {} and result.summary["negation"] is True
    # a negation glued to the word by the segmenter, and one that is a word of its own
    assert analyse("你别难过了")["negated"] == ["难过"]
    assert analyse("我没有生气")["negations"] == ["没有"]
    assert analyse("我没有生气")["emotion_words"] == {}
    # words that merely contain a negation character are not negations
    for text in ("今天天气不错", "他非常好", "我们的未来"):
        assert analyse(text)["negations"] == [], text
    assert analyse("今天天气不错")["valence"] > 0.15


def test_degree_adverbs_scale_the_words_both_ways():
    plain, strong, weak = (analyse(t)["valence"] for t in ("我难过", "我非常难过", "我有点难过"))
    assert strong < plain < weak < 0
    assert analyse("我非常难过")["intensified"] == ["非常"]
    # a complement after the word intensifies it, and is not read as a word of its own
    after = analyse("我高兴坏了")
    assert after["intensified"] == ["坏了"] and after["valence"] > analyse("我高兴")["valence"]
    assert [w for w, _ in after["scored"]] == ["高兴"]
    # 好 before a word is "so", not "good"
    so = analyse("我好开心")
    assert [w for w, _ in so["scored"]] == ["开心"] and so["intensified"] == ["好"]
    # 不太好: negation and degree glued into one token by the segmenter
    assert analyse("不太好")["valence"] < -0.15


def test_mixed_chinese_and_english_reads_the_english_words_too():
    result = analyse_text(clip("今天的meeting太棒了，我好happy！"))
    assert result.summary["language"] == "zh"
    assert "The words are positive." in texts(result)
    assert 'The words express joy ("happy").' in texts(result)
    assert analyse("我not happy")["negated"] == ["happy"]


def test_traditional_characters_are_read_and_quoted_as_written():
    result = analyse_text(clip("我們真的很開心！"))
    assert texts(result)[:3] == [
        '"我們真的很開心！"',
        "The words are positive.",
        'The words express joy ("開心").',
    ]
    assert result.summary["traditional"] is True
    assert analyse_text(clip("我们真的很开心！")).summary["traditional"] is False


def test_full_width_forms_and_question_particles():
    info = analyse("ＯＫ！我很高兴！")
    assert info["exclamation"] and info["tokens"][0] == "ＯＫ"
    assert analyse("你好吗？")["question_marker"] == "?"
    result = analyse_text(clip("你还好吗"))  # burned-in subtitles often have no punctuation
    question = next(c for c in result.cues if c.text == "It is a question.")
    assert question.evidence == {
        "subtitle": "你还好吗",
        "feature": "question_particle",
        "value": "吗",
    }
    assert analyse("难道你不知道")["question_marker"] == "难道"
    assert not analyse("吗啡很贵")["question"]


@pytest.mark.parametrize(
    "text",
    ["我明天去北京开会。", "好像要下雨了", "他去美国了", "你们老方家的房子在哪里", "一二三四五"],
)
def test_neutral_text_gives_only_the_quote(text):
    result = analyse_text(clip(text))
    assert result.summary["analysable"] is True
    assert texts(result) == [f'"{text}"']
    assert result.summary["emotion_counts"] == {}


def test_each_emotion_is_cued_and_opposite_polarity_is_not():
    cases = {
        "我好害怕，救命！": "fear",
        "真恶心，呸！": "disgust",
        "没想到你会来": "surprise",
        "你给我滚！": "anger",
        "她哭了，很伤心": "sadness",
    }
    for text, emotion in cases.items():
        cued = [t for t in texts(analyse_text(clip(text))) if t.startswith("The words express")]
        assert any(emotion in t for t in cued), (text, cued)
    # "赢" is joy, but in a clearly negative sentence joy is counted, not cued
    result = analyse_text(clip("赢了又怎样，我太痛苦太绝望了"))
    assert "The words are negative." in texts(result)
    assert not any("joy" in t for t in texts(result))
    assert result.summary["emotion_counts"]["joy"] == 1


def test_fusion_reads_chinese_words_as_it_reads_english_ones():
    voice = ModalityResult(summary={"arousal": 0.8, "has_audio": True, "has_speech": True})
    fused = {}
    for said in ("你太过分了！我恨你！滚！", "You went too far! I hate you! Get out!"):
        result = fuse(visual=None, auditory=voice, text=analyse_text(clip(said)))
        fused[said] = result.summary
    chinese, english = fused.values()
    assert chinese["emotions"][0][0] == english["emotions"][0][0] == "angry"
    assert (
        'In the text, the person says "你太过分了！我恨你！滚！" The words are negative.'
        in (chinese["description"])
    )


def test_japanese_and_korean_are_not_read_as_chinese():
    for text, script in (("本当にありがとう", "Hiragana"), ("정말 감사합니다", "Hangul")):
        result = analyse_text(clip(text, (SubtitleSegment(0, 900, text),)))
        assert [c.kind for c in result.cues] == ["unobservable"]
        assert f"not in English or Chinese ({script} script)" in result.cues[0].text
        assert result.summary["analysable"] is False


# --- lexicon files ---------------------------------------------------------------------------

DUTIR_HEADER = "词语,词性种类,词义数,词义序号,情感分类,强度,极性,辅助情感分类,强度,极性"


def test_a_dutir_layout_csv_replaces_the_built_in_lexicon(tmp_path):
    path = tmp_path / "ontology.csv"
    path.write_text(
        "\n".join(
            [
                DUTIR_HEADER,
                "欢天喜地,idiom,1,1,PA,9,1,,,",
                "怒发冲冠,idiom,1,1,NA,7,2,NB,5,2",
                "毕恭毕敬,idiom,1,1,PD,5,1,,,",
                "大吃一惊,idiom,1,1,PC,5,0,,,",
            ]
        ),
        encoding="gb18030",  # DUTIR's CSV copies are often in GB18030
    )
    lexicon = load_chinese_lexicon(path)
    assert (lexicon.layout, lexicon.name, len(lexicon)) == ("dutir", "ontology.csv", 4)
    assert lexicon.entries["欢天喜地"].valence == 3.0
    assert lexicon.entries["怒发冲冠"].emotions == ("anger", "sadness")
    assert lexicon.entries["毕恭毕敬"].emotions == ("good",)
    result = analyse_text(
        clip("他们欢天喜地，我却很开心"), thresholds=TextThresholds(chinese_lexicon=str(path))
    )
    assert result.summary["lexicon"] == "ontology.csv"
    joy = next(c for c in result.cues if "joy" in c.text)
    assert joy.text == 'The words express joy ("欢天喜地").'  # 开心 is not in this lexicon
    assert joy.evidence["source"] == "ontology.csv"


def test_a_dutir_layout_excel_file_is_read_as_distributed(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(DUTIR_HEADER.split(","))
    sheet.append(["提心吊胆", "idiom", 1, 1, "NI", 7, 2, None, None, None])
    sheet.append(["喜气洋洋", "idiom", 1, 1, "PA", 5, 1, None, None, None])
    path = tmp_path / "情感词汇本体.xlsx"
    book.save(path)
    lexicon = load_chinese_lexicon(path)
    assert lexicon.layout == "dutir" and set(lexicon.entries) == {"提心吊胆", "喜气洋洋"}
    assert lexicon.entries["提心吊胆"].emotions == ("fear",)
    assert lexicon.entries["提心吊胆"].valence == pytest.approx(-7 / 3, abs=1e-3)


def test_an_emocue_layout_list_and_the_version_it_gives(tmp_path):
    path = tmp_path / "lab.tsv"
    path.write_text("# our words\nword\temotions\tvalence\n開心果\tjoy\t2.0\n", encoding="utf-8")
    lexicon = load_chinese_lexicon(path)
    assert dict(lexicon.entries) == {"开心果": lexicon.entries["开心果"]}  # stored simplified
    first = SignalProposer(text={"chinese_lexicon": str(path)}).version
    assert first.startswith(SIGNALS_VERSION + "+")
    path.write_text("word\temotions\tvalence\n开心果\tjoy\t3.0\n", encoding="utf-8")
    assert SignalProposer(text={"chinese_lexicon": str(path)}).version != first  # content


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "is empty"),
        ("term,score\n好,1\n", "neither DUTIR's columns"),
        ("word\temotions\tvalence\n好\tjoy\tlots\n", "row 2: valence 'lots' is not a number"),
        ("word\temotions\tvalence\n好\tpride\t1\n", "row 2: unknown emotion pride"),
        ("word\temotions\tvalence\n好\tjoy\t9\n", "row 2: valence 9.0 is outside -4..4"),
        (DUTIR_HEADER + "\n好,adj,1,1,XX,5,1,,,\n", "row 2: unknown emotion class 'XX'"),
        (DUTIR_HEADER + "\n好,adj,1,1,PA,5,7,,,\n", "row 2: 极性 '7' is not 0-3"),
        ("word\temotions\tvalence\n", "has no words"),
    ],
)
def test_bad_lexicon_files_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_chinese_lexicon(path)
    with pytest.raises(ValueError, match="bad.csv"):
        SignalProposer(text={"chinese_lexicon": str(path)})


def test_a_missing_lexicon_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        SignalProposer(text={"chinese_lexicon": str(tmp_path / "nope.xlsx")})
    with pytest.raises(LexiconError, match="cannot be read as an Excel file"):
        (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
        load_chinese_lexicon(tmp_path / "junk.xlsx")

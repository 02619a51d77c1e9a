import pytest

from inference.manifests import ManifestError, manifest_parse


def test_mer_subtitle_manifest_keeps_the_chinese_text_beside_the_english_one():
    rows = manifest_parse("name,chinese,english\nsample_00000007,你好,Hello.\n")
    assert rows[0].name == "sample_00000007" and rows[0].subtitle == "Hello."
    assert rows[0].subtitle_chinese == "你好" and rows[0].line == 2
    assert rows[0].extra == {}  # no longer hidden among the other columns


def test_chinese_only_manifest_uses_chinese_text():
    row = manifest_parse("name,chinese\ns1,你好\n")[0]
    assert row.subtitle == "你好" and row.subtitle_chinese == ""  # not twice


def test_chinese_column_is_the_subtitle_when_the_english_cell_is_empty():
    rows = manifest_parse("name,chinese,english\ns1,你好,\ns2,,Hi.\n")
    assert (rows[0].subtitle, rows[0].subtitle_chinese) == ("你好", "")
    assert (rows[1].subtitle, rows[1].subtitle_chinese) == ("Hi.", "")


def test_emer_v1_manifest():
    row = manifest_parse('names,emotions,subtitles,reasons\ns1,angry,"No, stop.","He shouts."\n')[0]
    assert (row.name, row.emotion, row.subtitle, row.reasons) == (
        "s1",
        "angry",
        "No, stop.",
        "He shouts.",
    )


def test_openset_labels_are_parsed():
    row = manifest_parse("name,openset\ns1,\"['happy', 'grateful']\"\n")[0]
    assert row.labels == ("happy", "grateful")


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "empty"),
        ("clip,text\na,b\n", "no 'name' column"),
        ("name,notes\na,b\n", "none of english"),
        ("names,emotions\na,b\n", "lacks reasons, subtitles"),
        ("name,english\n", "no rows"),
        ("name,english\na,x\na,y\n", "line 3: name 'a' repeats line 2"),
        ("name,english\n,x\n", "line 2: empty name"),
        ("name,openset\na,not a list\n", "openset"),
        ("name,english\na,x,extra\n", "more fields than the header"),
    ],
)
def test_bad_manifests_name_the_problem(text, words):
    with pytest.raises(ManifestError) as caught:
        manifest_parse(text, label="m.csv")
    assert words in str(caught.value) and "m.csv" in str(caught.value)

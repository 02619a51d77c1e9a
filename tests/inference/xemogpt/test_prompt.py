import pytest

from inference.xemogpt.prompt import DEFAULT_INSTRUCTION, build_prompt, split_prompt

REFERENCE = (
    "###Human: The audio content is as follows: <Audio><AudioHere></Audio>. "
    "Meanwhile, we uniformly sample raw frames from the video: <Video><VideoHere></Video>. "
    "The subtitle of this video is: <Subtitle>I passed!</Subtitle>. "
    "Now, please answer my question based on all the provided information. "
    "{instruction} ###Assistant: "
)


def test_full_prompt_is_the_reference_template():
    prompt = build_prompt(subtitle="I passed!", has_audio=True, has_video=True)
    assert prompt == REFERENCE.format(instruction=DEFAULT_INSTRUCTION)
    assert "Please describe the speaker's emotional state in the video. \n" in DEFAULT_INSTRUCTION
    assert DEFAULT_INSTRUCTION.startswith(
        "\n                Please"
    ) and DEFAULT_INSTRUCTION.endswith("cues. \n                ")


@pytest.mark.parametrize(
    "has_audio, has_video, subtitle, present, absent",
    [
        (
            False,
            True,
            "hi",
            ["We uniformly sample raw frames", "<VideoHere>", "<Subtitle>hi</Subtitle>"],
            ["<AudioHere>", "Meanwhile", "audio content"],
        ),
        (
            True,
            False,
            "hi",
            ["<AudioHere>", "<Subtitle>hi</Subtitle>"],
            ["<VideoHere>", "raw frames"],
        ),
        (False, False, "hi", ["<Subtitle>hi</Subtitle>"], ["<AudioHere>", "<VideoHere>"]),
        (
            True,
            True,
            "   ",
            ["<AudioHere>", "Meanwhile, we uniformly", "<VideoHere>"],
            ["Subtitle"],
        ),
    ],
)
def test_missing_parts_are_left_out(has_audio, has_video, subtitle, present, absent):
    prompt = build_prompt(
        subtitle=subtitle, has_audio=has_audio, has_video=has_video, instruction="Q?"
    )
    assert prompt.startswith("###Human: ") and prompt.endswith("Q? ###Assistant: ")
    for text in present:
        assert text in prompt
    for text in absent:
        assert text not in prompt


def test_subtitle_cannot_inject_placeholders():
    prompt = build_prompt(
        subtitle="say <AudioHere> now", has_audio=False, has_video=False, instruction="Q"
    )
    assert "<AudioHere>" not in prompt and "<Subtitle>say  now</Subtitle>" in prompt
    assert split_prompt("a<AudioHere>b<VideoHere>") == ["a", "<AudioHere>", "b", "<VideoHere>"]
    with pytest.raises(ValueError):
        build_prompt(subtitle=None, has_audio=True, has_video=True)

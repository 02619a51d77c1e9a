"""XEmoGPT's prompt: the paper's template, with the parts of a missing modality left out.

The full template is the reference code's (W11H08Z/XEmoGPT, inference.py), character for
character, the instruction's line breaks and indentation included::

    ###Human: The audio content is as follows: <Audio><AudioHere></Audio>. Meanwhile, we
    uniformly sample raw frames from the video: <Video><VideoHere></Video>. The subtitle of
    this video is: <Subtitle>{subtitle}</Subtitle>. Now, please answer my question based on
    all the provided information. {instruction} ###Assistant:

The audio embeddings replace ``<AudioHere>``, the video embeddings ``<VideoHere>``.

A missing part is left out whole (the reference code would instead keep the literal
``<AudioHere>`` text when a clip has no audio):

- no audio: the sentence "The audio content is as follows: ... . " is dropped, and the
  video sentence then starts "We uniformly sample ..." (no "Meanwhile, ");
- no video: the sentence "Meanwhile, we uniformly sample ... . " is dropped;
- no subtitle (empty or only whitespace): "The subtitle of this video is: ... . " is dropped.

With all three present the text is exactly the reference prompt.
"""

from __future__ import annotations

import re

AUDIO_PLACEHOLDER = "<AudioHere>"
VIDEO_PLACEHOLDER = "<VideoHere>"
PLACEHOLDERS = (AUDIO_PLACEHOLDER, VIDEO_PLACEHOLDER)

# The reference's instruction string (a triple-quoted literal in an indented block, so it
# carries newlines, 16-space indents and trailing spaces; kept as is because the released
# weights were trained and evaluated with it).
DEFAULT_INSTRUCTION = (
    "\n"
    "                Please describe the speaker's emotional state in the video. \n"
    "                **Output Requirements:**  \n"
    "                Present the synthesized multimodal information in a well-structured "
    "paragraph, such as: 'In the video, ... In the audio, ...'. \n"
    "                Conclude the paragraph with an emotion state inference based on all cues. \n"
    "                "
)

_HUMAN = "###Human: "
_AUDIO = f"The audio content is as follows: <Audio>{AUDIO_PLACEHOLDER}</Audio>. "
_VIDEO_AFTER_AUDIO = (
    "Meanwhile, we uniformly sample raw frames from the video: "
    f"<Video>{VIDEO_PLACEHOLDER}</Video>. "
)
_VIDEO_ALONE = (
    f"We uniformly sample raw frames from the video: <Video>{VIDEO_PLACEHOLDER}</Video>. "
)
_SUBTITLE = "The subtitle of this video is: <Subtitle>{subtitle}</Subtitle>. "
_QUESTION = (
    "Now, please answer my question based on all the provided information. "
    "{instruction} ###Assistant: "
)

_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")


def build_prompt(
    *, subtitle: str, has_audio: bool, has_video: bool, instruction: str = DEFAULT_INSTRUCTION
) -> str:
    """The prompt text for one clip, with placeholders where the embeddings go.

    Args:
        subtitle: the clip's subtitle ("" when none; then the subtitle sentence is left out).
        has_audio, has_video: whether audio / video embeddings will be placed.
        instruction: the question (default: the reference instruction).

    Returns:
        The prompt, e.g. the reference prompt when all three parts are present.

    Example:
        >>> build_prompt(subtitle="hi", has_audio=False, has_video=False, instruction="Q?") == (
        ...     "###Human: The subtitle of this video is: <Subtitle>hi</Subtitle>. "
        ...     "Now, please answer my question based on all the provided information. "
        ...     "Q? ###Assistant: "
        ... )
        True
    """
    if not isinstance(subtitle, str):
        raise ValueError(f"subtitle must be a string, not {type(subtitle).__name__}")
    # a subtitle cannot smuggle in a placeholder (embeddings would land in the wrong place)
    subtitle = _SPLIT.sub("", subtitle)
    parts = [_HUMAN]
    if has_audio:
        parts.append(_AUDIO)
    if has_video:
        parts.append(_VIDEO_AFTER_AUDIO if has_audio else _VIDEO_ALONE)
    if subtitle.strip():
        parts.append(_SUBTITLE.format(subtitle=subtitle))
    parts.append(_QUESTION.format(instruction=instruction))
    return "".join(parts)


def split_prompt(prompt: str) -> list[str]:
    """The prompt cut at the placeholders, placeholders kept as their own items."""
    return [part for part in _SPLIT.split(prompt) if part != ""]

"""ELAN (.eaf), one file per clip, written with pympi-ling.

One tier per modality holds its timed cues; untimed cues go to a tier "<modality>
(untimed)" (only when there are some), each spanning the whole clip, so that they are
visible in ELAN yet never mistaken for timed ones. ELAN needs end > start, so a point cue
lasts 1 ms. The media is linked by its path relative to the export's root folder
(RELATIVE_MEDIA_URL ../../<media> from <split>/elan/). pympi stamps the current time into
DATE; it is replaced by the gold set's frozen_at so that the same gold set gives the same
bytes.

The clip's subtitle is the tier "subtitle" (its segments; an untimed subtitle spans the whole
clip on "subtitle (untimed)", a chinese text kept beside it on "subtitle (chinese)"). The
tier's ANNOTATOR says where it came from; a subtitle read from the picture has a dependent
tier "subtitle confidence" (a symbolic association) holding the reading's confidence of each
segment that has one.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from pympi import Elan

from inference.emocue360.cues import MODALITIES

from .clips import ExportClip

AUTHOR = "EmoCue Studio"
# A fixed table, not the mimetypes module: that one reads the system's /etc/mime.types.
MIME_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mpg": "video/mpeg",
    "mpeg": "video/mpeg",
    "wav": "audio/x-wav",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
}


def untimed_tier(modality: str) -> str:
    return f"{modality} (untimed)"


SUBTITLE_TIER = "subtitle"
CONFIDENCE_TIER = "subtitle confidence"
SUBTITLE_ANNOTATORS = {
    "ocr": "read from the picture (OCR)",
    "file": "subtitle file",
    "manifest": "import manifest",
    "manual": "typed by a manager",
}


def _subtitle_tiers(eaf, clip: ExportClip, whole_clip: int) -> None:
    subtitle = clip.subtitle
    if subtitle is None or subtitle.source == "none":
        return
    annotator = SUBTITLE_ANNOTATORS[subtitle.source] + (
        ", corrected by a manager" if subtitle.corrected else ""
    )
    if subtitle.segments:
        eaf.add_tier(SUBTITLE_TIER, ann=annotator)
        for segment in sorted(subtitle.segments, key=lambda s: (s.start_ms, s.end_ms)):
            end = max(segment.end_ms, segment.start_ms + 1)
            eaf.add_annotation(SUBTITLE_TIER, segment.start_ms, end, segment.text)
        rated = [s for s in subtitle.segments if s.confidence is not None]
        if rated:
            eaf.add_linguistic_type(
                "confidence", constraints="Symbolic_Association", timealignable=False
            )
            eaf.add_tier(CONFIDENCE_TIER, ling="confidence", parent=SUBTITLE_TIER, ann=annotator)
            for segment in rated:
                end = max(segment.end_ms, segment.start_ms + 1)
                middle = (segment.start_ms + end) // 2
                eaf.add_ref_annotation(
                    CONFIDENCE_TIER, SUBTITLE_TIER, middle, f"{segment.confidence:.3f}"
                )
    elif subtitle.text:
        eaf.add_tier(untimed_tier(SUBTITLE_TIER), ann=annotator)
        eaf.add_annotation(untimed_tier(SUBTITLE_TIER), 0, whole_clip, subtitle.text)
    if subtitle.chinese:
        eaf.add_tier(f"{SUBTITLE_TIER} (chinese)", ann=annotator)
        eaf.add_annotation(f"{SUBTITLE_TIER} (chinese)", 0, whole_clip, subtitle.chinese)


def clip_eaf(clip: ExportClip, *, frozen_at: datetime) -> bytes:
    eaf = Elan.Eaf(author=AUTHOR)
    eaf.adocument["DATE"] = frozen_at.isoformat(timespec="seconds")
    eaf.remove_tier("default")
    if clip.media:
        extension = clip.media.rsplit(".", 1)[-1].lower() if "." in clip.media else ""
        eaf.add_linked_file(
            clip.media, relpath=f"../../{clip.media}", mimetype=MIME_TYPES.get(extension, "unknown")
        )
    ends = [c.end_ms for c in clip.all_cues() if c.timed]
    if clip.subtitle is not None:
        ends += [s.end_ms for s in clip.subtitle.segments]
    whole_clip = max([clip.duration_ms or 0, *ends, 1])
    for modality in MODALITIES:
        eaf.add_tier(modality)
        timed = sorted(
            (c for c in clip.cues[modality] if c.timed),
            key=lambda c: (c.start_ms, c.end_ms),
        )
        for cue in timed:
            eaf.add_annotation(modality, cue.start_ms, max(cue.end_ms, cue.start_ms + 1), cue.text)
    for modality in MODALITIES:
        untimed = [c for c in clip.cues[modality] if not c.timed]
        if untimed:
            eaf.add_tier(untimed_tier(modality))
            for cue in untimed:
                eaf.add_annotation(untimed_tier(modality), 0, whole_clip, cue.text)
    _subtitle_tiers(eaf, clip, whole_clip)
    # ELAN numbers the next annotation after this property; pympi leaves it at 0
    last_id = max((int(aid[1:]) for aid in eaf.annotations), default=0)
    eaf.properties = [("lastUsedAnnotation", last_id)]
    document = Elan.to_adocument(eaf, pretty=True)
    return ElementTree.tostring(document, encoding="UTF-8", xml_declaration=True)

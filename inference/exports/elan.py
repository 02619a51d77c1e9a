"""ELAN (.eaf), one file per clip, written with pympi-ling.

One tier per modality holds its timed cues; untimed cues go to a tier "<modality>
(untimed)" (only when there are some), each spanning the whole clip, so that they are
visible in ELAN yet never mistaken for timed ones. ELAN needs end > start, so a point cue
lasts 1 ms. The media is linked by its path relative to the export's root folder
(RELATIVE_MEDIA_URL ../../<media> from <split>/elan/). pympi stamps the current time into
DATE; it is replaced by the gold set's frozen_at so that the same gold set gives the same
bytes.
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
    # ELAN numbers the next annotation after this property; pympi leaves it at 0
    last_id = max((int(aid[1:]) for aid in eaf.annotations), default=0)
    eaf.properties = [("lastUsedAnnotation", last_id)]
    document = Elan.to_adocument(eaf, pretty=True)
    return ElementTree.tostring(document, encoding="UTF-8", xml_declaration=True)

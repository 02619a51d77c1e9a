"""Every threshold of the signal proposer, in one place, each with the reason for its value.

Changing a value changes proposals: bump SIGNALS_VERSION in inference/proposers/signals/__init__.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisualThresholds:
    """Face-landmark features (mediapipe face mesh). Owned by the visual analysis."""


@dataclass(frozen=True)
class AuditoryThresholds:
    """Acoustic features (opensmile eGeMAPSv02, parselmouth). Owned by the auditory analysis.

    Population norms are approximations from the literature (cited per value; see
    docs/signal-proposer.md); clip-relative thresholds compare a speech segment with the
    speaker's own median in the same clip.
    """

    # --- track level
    # Below this active level the track is treated as silent: about 30 dB under the ITU-T
    # P.56 nominal active speech level (-26 dBov), i.e. room noise, not speech.
    silence_dbfs: float = -55.0
    # A sample at or above this magnitude counts as full scale (16-bit: 32735 of 32767).
    clip_level: float = 0.999
    # Clipping is reported when at least this share of samples sits in runs of >= 3
    # full-scale samples (isolated peaks are not clipping; 0.1 % is already audible).
    clip_fraction: float = 0.001
    # --- speech segments (frames of 10 ms from parselmouth's intensity)
    # A frame is speech-loud when within this many dB of the clip's 99th-percentile
    # intensity (de Jong & Wempe 2009 use -25 dB as the silence threshold).
    speech_floor_db: float = 25.0
    # Gaps shorter than this are inside a segment: Goldman-Eisler's classic 250 ms pause
    # threshold (shorter silences are stop closures, not pauses).
    min_pause_s: float = 0.25
    # Segments shorter than this are clicks or breaths, not speech.
    min_segment_s: float = 0.15
    # A "long pause": about twice the typical inter-sentence pause in read English
    # (roughly 0.4-0.6 s, Campione & Veronis 2002); approximate.
    long_pause_s: float = 0.8
    # --- syllable nuclei (de Jong & Wempe 2009): an intensity peak must stand this many dB
    # above the dips around it and be voiced.
    nucleus_prominence_db: float = 2.0
    # --- clip-relative departures
    # A segment is louder/quieter than the speaker's own median by this much: 3 dB is
    # clearly audible (the loudness JND is about 1 dB).
    segment_loudness_db: float = 3.0
    # A segment's median pitch departs from the clip median by this many semitones
    # (2 st is a clear step; F0 JND in speech is about 1-1.5 st, 't Hart 1981).
    segment_pitch_st: float = 2.0
    # End-of-segment contour: the last voiced 40 % of a segment rises/falls by this many
    # semitones against the segment's median (a final rise of 3+ st is heard as a question
    # rise; smaller movements are ordinary declination and accents).
    contour_fraction: float = 0.4
    final_rise_st: float = 3.0
    final_fall_st: float = 5.0
    # --- population norms (approximate; speaker sex unknown)
    # ITU-T P.56/P.800: nominal active speech level -26 dBov; spread of +-6 dB assumed.
    norm_level_dbfs: float = -26.0
    norm_level_sd_db: float = 6.0
    loud_dbfs: float = -16.0  # 10 dB above nominal: loud (or a hot recording)
    quiet_dbfs: float = -38.0  # 12 dB below nominal: quiet (or a weak recording)
    # Adult speaking F0: men about 85-180 Hz, women about 165-255 Hz (Titze 1994; Baken &
    # Orlikoff 2000). Without the speaker's sex only the ends are telling.
    norm_f0_hz: float = 165.0  # the overlap of both ranges: a sex-neutral midpoint
    norm_f0_sd_st: float = 4.0  # wide enough to cover both ranges around the midpoint
    high_f0_hz: float = 255.0  # above the typical adult range of either sex
    low_f0_hz: float = 85.0  # below it
    # F0 spread (10th-90th percentile, semitones) of conversational speech is roughly
    # 4-8 st; under 3 st sounds flat/monotone, over 12 st very animated (approximate,
    # after Traunmueller & Eriksson 1995 on liveliness and F0 excursions).
    norm_f0_range_st: float = 6.0
    monotone_range_st: float = 3.0
    wide_range_st: float = 12.0
    # Speech rate (syllables per second of clip speech time incl. pauses): read/
    # conversational American English about 3.5-5.5 syl/s (Jacewicz et al. 2009).
    norm_rate_syl_s: float = 4.5
    norm_rate_sd: float = 1.0
    fast_rate_syl_s: float = 5.8
    slow_rate_syl_s: float = 2.8
    # --- voice quality (Praat, over all voiced speech). MDVP/Praat pathology thresholds
    # for sustained vowels are jitter 1.04 %, shimmer 3.81 %, HNR about 20 dB; running
    # speech inflates jitter and shimmer, so these are set well beyond them.
    rough_jitter: float = 0.025  # 2.5 %: irregular, rough or creaky voice
    breathy_hnr_db: float = 7.0  # little harmonic energy: breathy or whispery
    breathy_h1h2_db: float = 8.0  # eGeMAPS H1-H2 above this supports breathiness
    tense_h1h2_db: float = 0.0  # a flat H1-H2 with a loud voice: pressed/tense
    # --- arousal: tanh of the weighted sum of z-scores vs the norms above
    arousal_weights: tuple[tuple[str, float], ...] = (
        ("loudness", 0.4), ("pitch", 0.3), ("rate", 0.2), ("range", 0.1))
    arousal_gain: float = 0.8


@dataclass(frozen=True)
class TextThresholds:
    """Subtitle text (VADER, NRC emotion lexicon). Owned by the text analysis."""

    # VADER's own recommendation (Hutto & Gilbert 2014, the package README): compound
    # >= 0.05 positive, <= -0.05 negative. We ask a little more before saying so in a cue.
    positive_compound: float = 0.15
    negative_compound: float = -0.15
    # Share of letters that must be Latin for English lexicons to apply at all.
    min_latin_fraction: float = 0.6
    # Share of tokens that must be known English words (VADER + NRC vocabularies plus a
    # stop-word list) before the text is treated as English.
    min_english_fraction: float = 0.3


@dataclass(frozen=True)
class FusionThresholds:
    """The fused emotion estimate and the paragraph. Owned by the fusion step."""

    # Visual evidence counts when the feature is present in at least this share of the
    # face-visible frames (a quarter: more than a passing expression).
    smile_fraction: float = 0.25
    brow_furrow_fraction: float = 0.25
    brow_raise_fraction: float = 0.25
    eye_widen_fraction: float = 0.25
    mouth_open_fraction: float = 0.35
    gaze_away_fraction: float = 0.4
    # Vocal arousal (auditory summary, in [-1, 1]) counted as high / low.
    high_arousal: float = 0.25
    low_arousal: float = -0.25
    # Text valence (VADER compound) counted as positive / negative.
    positive_valence: float = 0.15
    negative_valence: float = -0.15
    # A label is reported when its score reaches this; at most max_labels are kept.
    min_label_score: float = 0.3
    max_labels: int = 3
    # With no label above min_label_score the estimate is "neutral" at this score.
    neutral_score: float = 0.5


VISUAL = VisualThresholds()
AUDITORY = AuditoryThresholds()
TEXT = TextThresholds()
FUSION = FusionThresholds()

"""Every threshold of the signal proposer, in one place, each with the reason for its value.

Changing a value changes proposals: bump SIGNALS_VERSION in inference/proposers/signals/__init__.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisualThresholds:
    """Face-landmark features (mediapipe face mesh). Owned by the visual analysis.

    Geometry is in units of the inter-ocular distance (IOD, between the eye centres) after
    rotating the face so that the eyes are level. Population references were measured
    here with this code on the 100 LFW faces that scikit-image ships (lfw_subset.npy,
    25x25 px grey, upscaled 10x: 96 found; low resolution, so landmarks are approximate and
    the set holds many smiles) and on the demo's smiling astronaut (skimage astronaut,
    640x360 frames). No neutral video of a real person was available offline: treat the
    population bounds as first estimates to refine on real data.
    """

    # --- decoding
    # Face mesh runs about 5 ms a frame at 672x378; 10 fps still samples a 300 ms blink
    # 3 times and keeps the visual analysis near 0.1x real time on one core.
    analysis_fps: float = 10.0
    # Face mesh input is 192x192 per face; 480 px high leaves a face of a quarter of the
    # frame height at over 100 px, and halves decoding cost against 720p/1080p.
    max_height_px: int = 480

    # --- face presence
    # Below this fraction of frames with a face the clip says "No face is visible." and
    # reports no expression cues (a few stray detections in a face-free clip are noise).
    min_face_fraction: float = 0.10
    # A face missing for at least this long mid-clip gets a note (shorter gaps are
    # single missed detections during motion blur).
    face_gap_min_s: float = 0.3

    # --- clip-relative departures (robust baseline: median and 1.4826 * MAD over the clip)
    # 3 robust SDs: about 0.3 % of frames of a normal feature cross it by chance.
    baseline_z: float = 3.0
    # Departures shorter than this are landmark jitter rather than expressions (posed and
    # spontaneous expressions last about 0.5-4 s; Ekman & Friesen).
    min_segment_s: float = 0.4
    # Segments separated by less than this (face visible in between) are one expression.
    merge_gap_s: float = 0.3

    # --- smile: corner elevation = lip-centre-line y - mean mouth-corner y (IOD, up = +)
    # LFW: median 0.007, 90th pct 0.065; faces at 0.08-0.13 visibly smile, those near 0
    # look neutral. 0.05 sits above 85 % of LFW faces (many of which smile).
    smile_slight: float = 0.05
    # The astronaut's open smile reads 0.167 (range 0.154-0.176 over the demo clips); the
    # broadest LFW smiles 0.10-0.13: from here on a smile is clear.
    smile_clear: float = 0.10
    # A rise of 0.04 IOD over the clip's own median is 10x the demo's frame-to-frame MAD
    # (0.002-0.004) and about the gap between LFW's neutral and slightly smiling faces.
    smile_rise: float = 0.04
    # Corners below the lip line: LFW's 10th pct is -0.041 (mostly open-mouth speech);
    # -0.06 asks for a clear downturn. Needs a drop of smile_rise below baseline too.
    corners_down: float = -0.06

    # --- mouth opening: inner-lip gap (landmarks 13-14) / IOD
    # Closed lips read 0.00-0.01 (LFW 25th pct 0.012); 0.10 means lips clearly parted.
    mouth_open: float = 0.10
    # A jaw drop: LFW's 95th pct is 0.377 (laughs, shouts); the smiling astronaut's teeth
    # show at 0.168, which is not "open".
    mouth_open_wide: float = 0.35
    # Speech opens the mouth by 0.05-0.2 IOD per syllable; a rise of 0.10 held for
    # min_segment_s is more than articulation.
    mouth_open_rise: float = 0.10

    # --- brows: height of brow points above the eye corners, mean of inner and outer
    # LFW: median 0.282, 95th pct 0.350; astronaut 0.277. Above 0.36 the brows are high.
    brow_high: float = 0.36
    # A raise of 0.04 IOD (about 3 mm on an adult face, IOD ~63 mm) over the clip median;
    # the demo's MAD is 0.0015.
    brow_rise: float = 0.04
    # Inner-brow distance (landmarks 55-285): LFW 10th pct 0.358, min 0.320; astronaut
    # 0.424. Below 0.34 the brows are drawn together.
    brow_close: float = 0.34
    # A drawing-together of 0.03 IOD (about 2 mm) over the clip median; demo MAD 0.002-0.004.
    brow_close_drop: float = 0.03

    # --- eyes: eye aspect ratio (Soukupova & Cech 2016), mean of both eyes
    # Soukupova & Cech: open eyes 0.25-0.3, blink threshold 0.2. With mediapipe's points
    # the astronaut reads 0.30-0.32 and LFW's median is 0.245.
    blink_ear: float = 0.20
    # Also a blink when EAR falls below this share of the clip's own median (people with
    # narrow eyes never cross 0.2 in a squint but drop far below 75 % in a blink).
    blink_ratio: float = 0.75
    # A blink lasts 100-400 ms; a closure longer than this is "the eyes close".
    blink_max_s: float = 0.5
    # LFW's 95th pct is 0.335, max 0.389: 0.38 is wide open even for large eyes.
    eye_wide: float = 0.38
    # A rise of 0.06 (about 20 % of an open eye) over the clip median; demo MAD 0.005-0.006.
    eye_widen_rise: float = 0.06
    # A drop of 0.05 over the clip median, held min_segment_s without closing the eyes.
    squint_drop: float = 0.05

    # --- head pose (cv2.solvePnP, generic 6-point face model, degrees)
    # The frontal astronaut reads pitch 15-19 deg with the generic model (its proportions
    # differ from mediapipe's mesh), LFW's median 6 deg: about 12 deg counts as "facing".
    pitch_frontal_deg: float = 12.0
    # A nod or shake swing: conversational nods move 5-15 deg. The demo's camera roll and
    # pan move the still face's estimate by up to 3.4 deg in pitch and 6.1 deg in yaw
    # (excited clips), so swings of 6 and 8 deg are real movements.
    nod_swing_deg: float = 6.0
    shake_swing_deg: float = 8.0
    # One swing of a nod or shake takes 0.15-0.6 s; slower drifts are posture changes.
    swing_max_s: float = 0.8
    # Head turned this far from frontal means the face (and gaze) points away; eye contact
    # is judged lost beyond about 15-20 deg of head rotation.
    gaze_yaw_deg: float = 20.0
    gaze_pitch_deg: float = 20.0
    # Iris centre offset from the eye's middle, as a share of eye width: LFW 95th pct 0.139
    # (people looking at the photographer); 0.18 is a clear sideways look.
    gaze_iris_offset: float = 0.18
    # Departure of yaw or pitch from the clip's own median counted as looking away.
    gaze_turn_deg: float = 15.0

    # --- confidence: 0.5 at the threshold, rising with effect size to at most this
    max_confidence: float = 0.95


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
        ("loudness", 0.4),
        ("pitch", 0.3),
        ("rate", 0.2),
        ("range", 0.1),
    )
    arousal_gain: float = 0.8
    # Arousal worth a cue of its own ("The voice sounds energetic."): well past the
    # calm demo voices (about 0.3-0.4 at -19 dBFS, 165-190 Hz, 3.5 syl/s).
    energetic_arousal: float = 0.6
    subdued_arousal: float = -0.4


@dataclass(frozen=True)
class TextThresholds:
    """Subtitle text (VADER and the NRC emotion lexicon for English; jieba and a Chinese
    emotion lexicon for Chinese). Owned by the text analysis."""

    # VADER's own recommendation (Hutto & Gilbert 2014, the package README): compound
    # >= 0.05 positive, <= -0.05 negative. We ask a little more before saying so in a cue.
    # Chinese scores are made by VADER's rules on VADER's scale, so the same cut-offs hold.
    positive_compound: float = 0.15
    negative_compound: float = -0.15
    # Chinese when the text has Han characters, at least this many per Latin word (one
    # character carries about one word: "今天的meeting太棒了" is Chinese, "I love 北京" is not
    # English enough to be read as such), and at most this share of kana and Hangul among
    # them (Japanese and Korean write Han characters too).
    min_han_per_latin_word: float = 1.0
    max_kana_hangul_fraction: float = 0.1
    # A Chinese emotion lexicon file the lab holds a licence for (DUTIR's affective lexicon
    # ontology, or word/emotions/valence); "" reads EmoCue's built-in lexicon. Not a threshold,
    # but it changes proposals the same way, so it lives here and changes the version (with
    # the file's sha256).
    chinese_lexicon: str = ""
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
    # Vocal arousal (auditory summary, in [-1, 1]) counted as high / low: calm demo speech
    # reads 0.3-0.45 (a level above the -26 dBov norm), excited 0.8-0.9.
    high_arousal: float = 0.5
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

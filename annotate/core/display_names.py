"""What a name people see may hold: the names users give projects, clips, runs and score jobs
(and a project's emotion labels) are shown on pages, in exports and in other people's
terminals, so they refuse control characters (a newline, an escape, ...) and the Unicode
bidirectional formatting characters, which make text display in another order than it is
stored (a "Trojan Source" name: `evil`, U+202E, `gpj.exe` reads as `evilexe.jpg`). Letters of
right-to-left scripts are fine: the browser orders them without help.

The check is one function, so the API's serializers, the pages that share them and the
services that derive a name (a clip named after its file) give the same message."""

import unicodedata

from rest_framework import serializers

# Bidirectional formatting characters (Unicode's Bidi_Control property): the marks, the
# embeddings and overrides, and the isolates.
BIDI_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)


# Control characters: C0 and C1 (category Cc) and the line and paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})"


def display_name_problem(value: str, *, what: str = "A name") -> str | None:
    r"""What is wrong with a display name, in words that name the character and where it is;
    None when nothing is.

    Example:
        >>> display_name_problem("Pilot\u202eA", what="A project name")[:80]
        'A project name cannot hold the bidirectional formatting character U+202E (RIGHT-'
    """
    for position, char in enumerate(value, start=1):
        if char in BIDI_CONTROLS:
            return (
                f"{what} cannot hold the bidirectional formatting character {_describe(char)}, "
                f"at character {position}: it makes text display in another order than it "
                "is stored."
            )
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return (
                f"{what} cannot hold the control character {_describe(char)}, at character "
                f"{position}: use letters, digits, spaces and punctuation."
            )
    return None


def display_name_cleaned(value: str) -> str:
    """A name the app derives from something else (a file's name) without the characters a
    display name refuses: a default is the app's choice, so it is cleaned, not refused."""
    return "".join(char for char in value if not display_name_problem(char))


class DisplayNameValidator:
    """A DRF field validator (`validators=[DisplayNameValidator("A run label")]`): the field's
    400 names the character and where it is."""

    def __init__(self, what: str = "A name"):
        self.what = what

    def __call__(self, value: str) -> None:
        if "\x00" in value:  # DRF's own validator refuses it ("Null characters are not allowed.")
            return
        problem = display_name_problem(value, what=self.what)
        if problem:
            raise serializers.ValidationError(problem, code="display_name")

"""Endpoint names: one normal form, refusals that say what to fix, and the uniqueness key.

A name is stored in NFKC form, trimmed (full-width `ｐｒｏｄ` is `prod`, the Kelvin sign is
`K`). Invisible and control characters, and letters of look-alike alphabets mixed in one
name (Cyrillic `р` among Latin letters), are refused (Unicode TR 36 / UTS #39). Uniqueness
is decided on `name_key`, computed here in Python so SQLite and PostgreSQL agree (SQLite's
LOWER() folds ASCII only).

No confusable skeleton: the standard library has no UTS #39 confusables data, and
confusable-homoglyphs offers no skeleton (its data is a two-way "confusable with" map, not
UTS #39's one-way prototypes), so an all-Cyrillic look-alike of a Latin name (`сосо` next
to `coco`) is still a different name. The key follows Python's Unicode version: after an
upgrade that changes it, re-save every endpoint so stored keys are recomputed.
"""

from __future__ import annotations

import unicodedata

from django.db import models

# Control, format (zero-width, bidi), private-use, surrogate, unassigned, line/paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Default-ignorable characters outside those categories: they render as nothing too.
INVISIBLE_LETTERS_AND_MARKS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))  # variation selectors
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
# The bidi controls (all Cf today), by hand: they stay refused whatever a later Unicode says.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LOOK_ALIKE_ALPHABETS = ("Latin", "Cyrillic", "Greek")

_KIND_BY_CATEGORY = {
    "Cc": "control character",
    "Co": "private-use character",
    "Cs": "surrogate",
    "Cn": "unassigned character",
}


def normalize_name(raw: str) -> str:
    """The stored form: NFKC, surrounding whitespace trimmed; nothing inside is collapsed."""
    return unicodedata.normalize("NFKC", raw).strip()


def name_key(name: str) -> str:
    """What uniqueness compares: NFKC + case folding, without invisible characters and with
    whitespace runs as one space (HTML shows them alike). Derived; never typed."""
    visible = "".join(c for c in unicodedata.normalize("NFKC", name) if not is_invisible(c))
    folded = unicodedata.normalize("NFKC", visible.casefold())  # folding can un-normalize
    return " ".join(folded.split())


def taken_message(existing: str) -> str:
    """What a form says when the key is taken, naming the endpoint that holds it."""
    return (
        f"An endpoint named “{existing}” already exists (names are not case-sensitive, and "
        "look-alike characters count as the same name)."
    )


def is_invisible(char: str) -> bool:
    return (
        unicodedata.category(char) in INVISIBLE_CATEGORIES
        or char in BIDI_CONTROLS
        or char in INVISIBLE_LETTERS_AND_MARKS
    )


def describe(char: str) -> str:
    """`U+200B ZERO WIDTH SPACE`; unnamed characters (controls, unassigned) by code point."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def name_problems(typed: str) -> list[str]:
    """What is wrong with a name as typed, each message saying what to change. Invisible
    characters are named as typed (NFKC turns some into others); alphabets are judged on
    the normal form (a full-width Latin letter is a Latin letter)."""
    return invisible_character_problems(typed.strip()) + mixed_alphabet_problems(normalize_name(typed))


def invisible_character_problems(name: str, limit: int = 3) -> list[str]:
    found = [(position, char) for position, char in enumerate(name, 1) if is_invisible(char)]
    problems = [
        f"Remove the {_kind(char)} {describe(char)} at position {position}: names cannot "
        "contain invisible or control characters."
        for position, char in found[:limit]
    ]
    if len(found) > limit:
        problems.append(f"Remove the {len(found) - limit} other invisible characters too.")
    return problems


def mixed_alphabet_problems(name: str) -> list[str]:
    """Refuse Latin, Cyrillic and Greek letters in one name: their look-alikes are what a
    spoofed name is made of. Other scripts (CJK, Arabic, …) may sit beside any of them."""
    letters = [(position, char, _alphabet(char)) for position, char in enumerate(name, 1)]
    letters = [(position, char, alphabet) for position, char, alphabet in letters if alphabet]
    counts = {a: sum(1 for *_, b in letters if b == a) for a in LOOK_ALIKE_ALPHABETS}
    used = [a for a in LOOK_ALIKE_ALPHABETS if counts[a]]
    if len(used) < 2:
        return []
    main = max(used, key=lambda a: counts[a])  # ties go to the first listed: Latin
    strays = [(position, char) for position, char, alphabet in letters if alphabet != main]
    position, char = strays[0]
    more = f" (and {len(strays) - 1} more)" if len(strays) > 1 else ""
    return [
        f"Write the name in one alphabet: {describe(char)} at position {position}{more} is not a "
        f"{main} letter, though it may look like one. Retype it as a {main} letter."
    ]


def _kind(char: str) -> str:
    return _KIND_BY_CATEGORY.get(unicodedata.category(char), "invisible character")


def _alphabet(char: str) -> str | None:
    # unicodedata has no Script property; a letter's name starts with its alphabet's.
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    return next((a for a in LOOK_ALIKE_ALPHABETS if name.startswith(a.upper() + " ")), None)


class NameKeyField(models.TextField):
    """A column holding `name_key(<source field>)`, computed on every save that writes it
    (like auto_now), so no caller can store a key that disagrees with the name."""

    def __init__(self, *args, source: str = "name", **kwargs) -> None:
        self.source = source
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        if self.source != "name":
            kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = name_key(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value

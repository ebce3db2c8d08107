"""Romaji (simplified Hepburn) for municipality names, from their kana reading.

pykakasi transliterates the kana; the administrative suffix is split off and written after a
hyphen (さっぽろし -> Sapporo-shi), and long vowels are collapsed the way maps and road
signs write them (ou/oo -> o, uu -> u: ちゅうおうく -> Chuo-ku).
"""

from functools import cache

import pykakasi

SUFFIX_READINGS = {
    "市": (("し", "shi"),),
    "区": (("く", "ku"),),
    "町": (("ちょう", "cho"), ("まち", "machi")),
    "村": (("むら", "mura"), ("そん", "son")),
}
LONG_VOWELS = (("uu", "u"), ("ou", "o"), ("oo", "o"))


@cache
def _kakasi() -> pykakasi.kakasi:
    return pykakasi.kakasi()


def kana_to_romaji(kana: str) -> str:
    text = "".join(part["hepburn"] for part in _kakasi().convert(kana))
    for long, short in LONG_VOWELS:
        text = text.replace(long, short)
    return text[:1].upper() + text[1:]


def _word(kanji: str, kana: str) -> str:
    for reading, romaji in SUFFIX_READINGS.get(kanji[-1:], ()):
        if kana.endswith(reading) and len(kana) > len(reading):
            return f"{kana_to_romaji(kana[: -len(reading)])}-{romaji}"
    return kana_to_romaji(kana)


def place_name(kanji: str, kana: str) -> str:
    """``札幌市 中央区`` + ``さっぽろし ちゅうおうく`` -> ``Sapporo-shi Chuo-ku``."""
    kanji_words, kana_words = kanji.split(" "), kana.split(" ")
    if len(kanji_words) != len(kana_words):
        return kana_to_romaji(kana.replace(" ", ""))
    return " ".join(_word(k, r) for k, r in zip(kanji_words, kana_words, strict=True))

"""Danish text for the question index: normalise, tokenise, drop stopwords, map synonyms, stem.

The pipeline (the same for indexed texts and for questions, so both sides meet):

    normalise  lower case, NFC; æ, ø, å stay; other accents go (é -> e); Swedish/German
               ä/ö become æ/ø; "aa" is NOT rewritten (it is part of many Danish words).
    tokenise   words of letters and digits; "kick-off" gives "kick", "off" and the joined
               "kickoff" (the joined form is marked as a compound of the parts); "modul3"
               and "m3" become "modul 3".
    phrases    a few multi-word expressions become one intent word before anything else:
               "hvor lang tid" / "hvor længe" -> varighed, "hvor mange" -> antal,
               "hvor meget tid" -> tidsforbrug, "hvorfor" -> formål ...
    stopwords  a Danish list (Snowball's, plus chat filler) without the words that carry
               meaning here ("efter", "før", "under" stay).
    synonyms   everyday words -> the programme's words (chef -> leder, makker -> buddy,
               undervisningsdag -> modul ...). Written as words, applied to stems, so every
               inflection is covered ("chefen", "chefens" -> led).
    stem       Snowball Danish, with a few overrides where it is inconsistent
               ("boks" -> "bok" but "boksen" -> "boks").

`analyse(text)` gives a list of `Token(stem, parts)`; `parts` holds the stems of the pieces of a
hyphenated word. Splitting joined compounds ("mentorsamtale") needs a vocabulary and lives in the
index (`QuestionIndex`), not here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import Stemmer  # PyStemmer: the C Snowball, same algorithm as the pure-Python snowballstemmer, ~10x faster

from bot.qa.synonyms import load_synonyms

_STEMMER = Stemmer.Stemmer("danish")

# Snowball's Danish stopword list, minus words that carry meaning in questions about a
# programme ("efter", "under", "over", "mod" are kept as content; "før" is not in it), plus chat
# filler and verbs that occur in nearly every question.
# fmt: off
STOPWORDS = frozenset(
    """
    og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om
    vi min havde ham hun nu da fra du ud sin dem os op man hans hvor eller hvad skal selv her
    alle vil blev kunne ind når være dog noget ville jo deres ned skulle denne end dette mit
    også dig hende mine alt meget sit sine vor disse hvis din nogle hos blive mange ad bliver
    hendes været thi jer sådan
    hej hejsa hallo goddag tak mange venlig venligst hilsen mvh bare lige egentlig mon gerne
    kan må får få fik gør gøre gjorde går gå gik sker ske står stå kommer komme
    hvordan hvilken hvilket hvilke nogen noget nogle ingen andre anden andet
    the a an of is are
    så nok helt rigtig rigtigt okay ok jo vel altså ved vores jeres lave laver lavet her
    sådan sådanne slags eller evt egen eget egne bruge bruger hver hvert inde stadig stadigvæk
    holder holde holdt afsætte afsætter afsat vide ved tage tager taget tages se ser set laves
    hele synes syntes mon sikkert blandt ordet konkret måde al pr gang afsted ialt cirka ca omtrent
    består bestå bestod
    """.split()
)
# fmt: on

# The synonym table is data: content/qa-synonyms.yaml (phrases, synonyms, exact word forms).
_TABLE = load_synonyms()
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = _TABLE.phrases  # longest first when applied
SYNONYMS: dict[str, str] = _TABLE.synonyms  # any inflection: both sides are stemmed

# Pieces that Danish compounds in this domain are built from. The index splits a joined word
# it has not seen ("mentorsamtalen", "succeskriterierne") into two known pieces; these count
# as known even when no text uses them alone.
# fmt: off
COMPOUND_PARTS = frozenset(
    """
    succes kriterie kriterier leder ledelse gruppe møde samtale plan tid forbrug spejl praktik
    skygge dag seminar modul talent miljø mentor korps buddy program udvikling niveau opgave
    materiale forberedelse afslutning start opfølgning forløb kommunikation innovation
    strategi kompetence værdi grundlag parathed boks uge måned time varighed deltager
    """.split()
)
# fmt: on

SURFACE_SYNONYMS: dict[str, str] = _TABLE.exact  # exact forms: "Teams" the platform, not "team"

# Snowball Danish is inconsistent for a few words that matter here: stem -> fixed stem.
STEM_FIXES: dict[str, str] = {
    "bok": "boks",
    "forb": "forbered",
    "interviews": "interview",
    "gennemført": "gennemfør",
    "mente": "mesterlær",
    "alumn": "alumnedag",
    "skyg": "skyggepraktik",
    "frivil": "frivil",
    "kickof": "kickoff",
    "forventning": "forvent",
    # Snowball drops a final -s after p/c ("korps" -> "korp") but keeps it before an ending
    # ("korpset" -> "korps").
    "korp": "korps",
    "mentorkorp": "mentorkorps",
    "proc": "proces",
    "kompa": "kompas",
}

# Number words and ordinals -> digits ("tredje modul" = "modul 3").
NUMBERS: dict[str, str] = {
    "to": "2",
    "tre": "3",
    "fire": "4",
    "fem": "5",
    "seks": "6",
    "syv": "7",
    "otte": "8",
    "ni": "9",
    "ti": "10",
    "første": "1",
    "tredje": "3",
    "fjerde": "4",
    "femte": "5",
    "sjette": "6",
    "ottende": "8",
}

_ACCENTS = str.maketrans(
    {
        "ä": "æ",
        "ö": "ø",
        "é": "e",
        "è": "e",
        "ê": "e",
        "á": "a",
        "à": "a",
        "ü": "u",
        "ó": "o",
        "ò": "o",
        "í": "i",
        "ñ": "n",
        "ç": "c",
        "’": "'",
        "‘": "'",
        "”": '"',
        "“": '"',
        "–": "-",
        "—": "-",
        "‑": "-",
    }
)
_WORD = re.compile(r"[a-zæøå0-9]+(?:-[a-zæøå0-9]+)*")
_MODULE_SHORT = re.compile(r"^(?:m|modul)(\d)$")


_PLAIN = re.compile(r"[^\x00-\x7fæøå]")


def normalise(text: str) -> str:
    """Lower case, NFC, æøå kept, other accents and typographic marks flattened."""
    text = unicodedata.normalize("NFC", text).lower().translate(_ACCENTS)
    if not _PLAIN.search(text):  # the usual case: nothing left to flatten
        return text
    # Any remaining combining marks (decomposed input) except the ring of å are dropped.
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) or c == "\u030a")
    return unicodedata.normalize("NFC", kept)


def words(text: str) -> list[list[str]]:
    """Normalised words; a hyphenated word is a list of its pieces, a plain word a list of one."""
    out: list[list[str]] = []
    for w in _WORD.findall(normalise(text)):
        if "-" in w:
            out.append(w.split("-"))
            continue
        if w[0] == "m" and len(w) <= 6:
            m = _MODULE_SHORT.match(w)
            if m:  # "m3", "modul3"
                out.append(["modul"])
                out.append([m.group(1)])
                continue
        out.append([w])
    return out


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball Danish stem of one normalised word, with the fixes above."""
    if word.isdigit():
        return word
    s = _STEMMER.stemWord(word)
    return STEM_FIXES.get(s, s)


def _build_synonym_stems() -> dict[str, str]:
    table: dict[str, str] = {}
    for word, target in SYNONYMS.items():
        table[stem(word)] = stem(target)
        table.setdefault(word, stem(target))
    return table


SYNONYM_STEMS = _build_synonym_stems()


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """A normalised word's index term: number words to digits, stem, synonym."""
    word = NUMBERS.get(word, word)
    if word in SURFACE_SYNONYMS:
        return stem(SURFACE_SYNONYMS[word])
    if word in SYNONYMS:
        return stem(SYNONYMS[word])
    s = stem(word)
    return SYNONYM_STEMS.get(s, s)


class Token(NamedTuple):
    """One content word: its term and, for a hyphenated word, the terms of its pieces."""

    term: str
    parts: tuple[str, ...] = ()
    surface: str = ""
    hyphenated: bool = True  # parts come from hyphens (False: from splitting a joined word)


_PHRASES_BY_FIRST: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _key, _value in sorted(PHRASES.items(), key=lambda kv: -len(kv[0])):
    _PHRASES_BY_FIRST.setdefault(_key[0], []).append((_key, _value))


def _apply_phrases(seq: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    i = 0
    n = len(seq)
    while i < n:
        pieces = seq[i]
        if len(pieces) > 1:
            key = tuple(pieces)
            if key in PHRASES:  # "kick-off" written as one hyphenated word
                out.extend([r] for r in PHRASES[key])
            else:
                out.append(pieces)
            i += 1
            continue
        candidates = _PHRASES_BY_FIRST.get(pieces[0])
        if candidates:
            for key, value in candidates:
                k = len(key)
                if i + k <= n and all(len(seq[i + j]) == 1 and seq[i + j][0] == key[j] for j in range(1, k)):
                    out.extend([r] for r in value)
                    i += k
                    break
            else:
                out.append(pieces)
                i += 1
            continue
        out.append(pieces)
        i += 1
    return out


def analyse(text: str) -> list[Token]:
    """Content tokens of a text, in order (stopwords dropped)."""
    tokens: list[Token] = []
    for pieces in _apply_phrases(words(text)):
        if len(pieces) == 1:
            w = pieces[0]
            if w in STOPWORDS or (len(w) == 1 and not w.isdigit()):
                continue
            tokens.append(Token(term(w), (), w))
            continue
        joined = "".join(pieces)
        parts = tuple(term(p) for p in pieces if p not in STOPWORDS and (len(p) > 1 or p.isdigit()))
        tokens.append(Token(term(joined), parts, joined))
    return tokens


def terms(text: str) -> list[str]:
    """Just the terms of the content tokens (pieces of hyphenated words not included)."""
    return [t.term for t in analyse(text)]

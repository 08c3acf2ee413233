"""The gate before the LLM: is the evidence about what the question asks?
Similarity catches off-topic questions; on-topic ones the articles cannot
answer (another country, product or year) are caught by the question's names
and years missing from the evidence.

The names and years are looked for in the passages and their articles'
titles, outlets and dates: a question carries context (the year, the company's
name) that its answer's sentence leaves out but the story's headline and
date hold. Not in the whole article body: a name mentioned anywhere in a
long story (another country, another product) would let through the
on-topic questions the story cannot answer (shipped articles' refusals:
0.80 -> 0.53 when the whole body was read). The best-ranked chunks the
passages' sentences were drawn from are read too: they are about the
question, and they hold the context its few packed sentences leave out
(Reuters dev: two wrong refusals of this kind, one answered; no right
refusal lost on dev or seeds)."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .facts import initialisms, names, quantities
from .lexicon import ALIASES, LEGAL_FORMS
from .settings import Settings
from .types import Passage

STEM_MIN_SHARED = 4  # letters two spellings of one name share at least ("chin-ese"/"chin-a")
STEM_MIN_SHARE = 0.6  # ... and this share of the shorter one


@dataclass(frozen=True)
class Gate:
    ok: bool
    relevance: float  # best sentence cosine with the question
    missing: list[str]  # the question's names and years not found in the evidence
    reason: str = ""


def same_stem(a: str, b: str) -> bool:
    """Same word up to its ending: "chinese"/"china", "japanese"/"japan".

    >>> same_stem("chinese", "china"), same_stem("japan", "java")
    (True, False)
    """
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a == b or (n >= STEM_MIN_SHARED and n >= STEM_MIN_SHARE * min(len(a), len(b)))


def name_words(text: str) -> set[str]:
    """The lower-cased words a name is looked for among; "U.S." reads as "us";
    a hyphenated name is there whole as well as in its parts ("Ka-shing").

    >>> sorted(name_words("U.S. tariffs, 30%")), sorted(name_words("Li Ka-shing"))
    (['30', 'tariffs', 'us'], ['ka', 'ka-shing', 'li', 'shing'])
    """
    low = text.lower().replace(".", "")
    return set(re.findall(r"[a-z0-9]+", low)) | set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", low))


def names_held(text: str) -> set[str]:
    """The words a text names things by, with each country's other names
    (`lexicon.ALIASES`; `country_names`, where written capitalized) and the
    initialisms of its spelled-out names ("US Department of Agriculture" ->
    "usda").

    >>> sorted(names_held("Brazil owes U.K. banks"))
    ['banks', 'brasília', 'brazil', 'brazilian', 'britain', 'british', 'london', 'owes', 'uk', 'united kingdom']
    """
    have = name_words(text)
    for group in ALIASES:  # one country's several names: any found stands for all
        if group & have:
            have |= group
    written = {w.lower() for w in _CAPITALIZED.findall(text)} | (have & _ALIASED)  # "Turkey", not "turkey"
    country = country_of()
    phrases = _phrases()
    for w in written & phrases.keys():  # "South Korea": read whole where its first word is written
        written |= {m.lower() for m in phrases[w].findall(text)}
    for w in written & country.keys():
        have |= country[w]
    return have | initialisms(text)


def is_country(name: str) -> bool:
    """Is a lower-cased name one of a country's names (`lexicon.ALIASES`,
    `country_names`)?

    >>> is_country("us"), is_country("beijing"), is_country("volkswagen")
    (True, True, False)
    """
    return name in country_words()


def telling(names: Iterable[str]) -> list[str]:
    """The names that tell one firm or thing from another: not a country
    (`is_country`: beside other names it is their context) nor a legal
    form ("Corp": `lexicon.LEGAL_FORMS`, every firm's).

    >>> telling(["unicorp", "american", "corp", "us"])
    ['unicorp']
    """
    return [n for n in names if not is_country(n) and n not in LEGAL_FORMS]


def other_country(text: str, question: str) -> bool:
    """Where the question names a capital, does a text name another
    capital and none of the question's countries (by name, capital or
    people: `names_held`)? Asked when two ministers visit Seoul, "will visit
    Tokyo in April" tells of another visit. A question asking where, or
    which (country, crisis, buyer), may be answered by another. A country
    named beside, not by its capital (palm oil "of Malaysian origin" in
    India's tender), is no sign: the sentence before may name the asked one.

    >>> other_country("They will visit Tokyo in April.", "When will they visit Beijing?")
    True
    >>> other_country("They will visit Tokyo in April.", "When will they visit Japan's capital, Tokyo?")
    False
    >>> other_country("They will visit in April.", "When will they visit Paris?")
    False
    >>> other_country("They bought Malaysian palm oil at 347 dlrs.", "What price did Seoul pay?")
    False
    """
    if _WHICH_COUNTRY.search(question) or not _capitals_in(question):
        return False
    asked, said = names_held(question) & country_words(), names_held(text) & country_words()
    return bool(_capitals_in(text)) and not asked & said


def _capitals_in(text: str) -> set[str]:
    """The capitals a text names, written capitalized ("Seoul")."""
    return {w.lower() for w in _CAPITALIZED.findall(text)} & capitals()


@functools.cache
def capitals() -> frozenset[str]:
    """The one-word capitals among `country_names`, lower-cased."""
    from countryinfo import CountryInfo

    named = [c.get("capital") for c in CountryInfo.all().values()]
    return frozenset(c.lower() for c in named if isinstance(c, str) and " " not in c) & frozenset(country_of())


def mended_countries(text: str, known: Callable[[str], bool]) -> str:
    """The text with a capitalized word the collection does not `know`,
    one slip off a country's name (its short name, capital or people:
    `country_names`), written as that name: "Itlay" read as "Italy".
    Unmended it is a name no passage holds: the search finds another
    country's story and the gate refuses the question.

    >>> mended_countries("How much wheat did Itlay buy?", lambda w: w != "itlay")
    'How much wheat did Italy buy?'
    >>> mended_countries("How much wheat did Itlay buy?", lambda w: True)
    'How much wheat did Itlay buy?'
    """
    def mend(m: re.Match) -> str:
        word = m.group(0)
        if len(word) < MIN_MENDED_NAME_CHARS or known(word.lower()):
            return word
        close = difflib.get_close_matches(word.lower(), _mendable(), n=1, cutoff=MENDED_NAME_SIMILARITY)
        return close[0].capitalize() if close else word
    return _CAPITALIZED.sub(mend, text)


@functools.cache
def _mendable() -> list[str]:
    return sorted(w for w in country_of() if " " not in w and len(w) >= MIN_MENDED_NAME_CHARS)


@functools.cache
def country_words() -> frozenset[str]:
    """Every word `names_held` reads as one of a country's names."""
    return _ALIASED | frozenset(country_of())


MENDED_NAME_SIMILARITY = 0.8  # difflib's ratio: two letters swapped in a five-letter name ("Itlay")
MIN_MENDED_NAME_CHARS = 5  # shorter words are too close to too many names
_WHICH_COUNTRY = re.compile(r"\b(?:which|where)\b|\bwhat (?:other )?(?:countr|nation|capital|cit|place)", re.I)
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+\b")
_ALIASED = frozenset().union(*ALIASES)


@functools.cache
def country_names() -> tuple[frozenset[str], ...]:
    """Each country's names, lower-cased: its short name, its capital and
    its demonyms ("China", "Beijing", "Chinese"; "South Korea", "Seoul"),
    from the `countryinfo` package's table (MIT; its data mostly from
    Wikipedia). A story says "Chinese state media" of what a question calls
    Beijing's account. A name of several words is read whole (`_phrases`):
    its words alone ("South", "New") name nothing. A name several countries
    share ("French" of France and its territories) is the most populous one's.

    >>> next(g for g in country_names() if "beijing" in g) == {"china", "beijing", "chinese"}
    True
    """
    from countryinfo import CountryInfo

    owner: dict[str, tuple[int, str]] = {}  # a form shared ("French") is the most populous country's
    for c in CountryInfo.all().values():
        capital = c.get("capital") or []  # a few countries list several
        forms = [c.get("name") or "", *([capital] if isinstance(capital, str) else capital),
                 *(c.get("demonym") or "").split(",")]
        for f in {f.strip().lower() for f in forms if f.strip()}:
            owner[f] = max(owner.get(f, (-1, "")), (c.get("population") or 0, c["name"]))
    groups: dict[str, set[str]] = {}
    for f, (_, country) in owner.items():
        groups.setdefault(country, set()).add(f)
    return tuple(frozenset(g) for g in groups.values() if len(g) > 1)


@functools.cache
def _phrases() -> dict[str, re.Pattern[str]]:
    """`country_names`' names of several words, by their first word: each
    read whole, capitalized as a name is ("South Korea")."""
    by_first: dict[str, list[str]] = {}
    for name in (w for w in country_of() if " " in w):
        by_first.setdefault(name.split()[0], []).append(name)
    return {first: re.compile(r"\b(?:" + "|".join(re.escape(n.title()) for n in sorted(names, key=len, reverse=True))
                              + r")(?!\w)") for first, names in by_first.items()}


@functools.cache
def country_of() -> dict[str, frozenset[str]]:
    """Each of `country_names`' words, with its country's group: read per
    word, not per country, on every text a name is looked for in."""
    return {w: group for group in country_names() for w in group}


def holds_name(name: str, have: set[str]) -> bool:
    """Is a name among these words, up to its ending (`same_stem`)?"""
    return any(same_stem(name, w) for w in have)


def headed(sentence: str, headline: str, named: list[str] | tuple[str, ...]) -> bool:
    """Does a sentence that names nothing stand under a headline naming
    everything the question names? A table's row ("Sales 58.7 mln vs 40.6
    mln") is far from any question by meaning, and its headline says whose
    it is.

    >>> headed("Sales 58.7 mln vs 40.6 mln", "ARBOR DRUGS INC 2ND QTR NET", ["arbor", "drugs"])
    True
    >>> headed("Sales 5 mln", "ARBOR DRUGS INC 2ND QTR NET", ["arbor", "pall"])
    False
    """
    head = names_held(headline)
    return bool(named) and not names(sentence) and all(holds_name(n, head) for n in named)


def names_any(text: str, names: list[str] | tuple[str, ...]) -> bool:
    """Does a text name one of these (`names_held`: up to ending, a
    country's other names, initialisms), or are there none?

    >>> names_any("Chilean GDP grew 5.7 pct.", ["chile"]), names_any("U.K. GDP grew.", ["britain", "chile"])
    (True, True)
    >>> names_any("GDP grew 1.7 pct.", ["chile"]), names_any("GDP grew.", [])
    (False, True)
    """
    if not names:
        return True
    have = names_held(text)
    return any(holds_name(n, have) for n in names)


def key_terms(question: str) -> list[str]:
    """What a question is specifically about: its names (capitalized words
    past the first, acronyms) and years. "U.S." reads as "us".

    >>> key_terms("What tariff does the US charge on cars from Japan in 2023?")
    ['us', 'japan', '2023']
    """
    out = [f.value for f in names(question)] + [str(int(f.value)) for f in quantities(question) if f.kind == "year"]
    return list(dict.fromkeys(out))


def articles_text(passages: list[Passage]) -> str:
    """The passages, and the title, outlet and date's year of each article
    they come from (each article once): "the Reuter survey" is the
    outlet's own story."""
    out = [p.text for p in passages]
    for doc in {p.doc.id: p.doc for p in passages}.values():
        out += [doc.title or "", doc.outlet or "", (doc.date or "")[:4]]
    return " ".join(out)


def _abbreviated(run: str, text: str) -> bool:
    """Does the text write the initials of a spelled-out name in capitals
    ("United Nations" -> "UN" or "U.N.")?

    >>> _abbreviated("United Nations", "The U.N. said"), _abbreviated("Arbor Drugs", "the Agriculture Department")
    (True, False)
    """
    letters = [x[0] for x in run.split() if x[0].isupper()]
    return re.search(r"\b" + r"\.?".join(letters) + r"\b", text) is not None


def gate(question: str, passages: list[Passage], settings: Settings, pool: str = "") -> Gate:
    """Open when the best passage is relevant enough and the question's
    names and years (spelled out or abbreviated) are in the passages or in
    the `pool` of best-ranked chunks they were drawn from: a question's
    context ("the budget", "its Zeebrugge ferry") is often in the answer's
    chunk but not in its few sentences packed."""
    if not passages:
        return Gate(False, 0.0, [], "nothing retrieved")
    rel = max(p.relevance for p in passages)
    if rel < settings.min_relevance:
        return Gate(False, rel, [], "no passage is about the question")
    if not settings.name_gate:
        return Gate(True, rel, [])
    raw = articles_text(passages) + " " + pool
    have = names_held(raw)
    # a name spelled out in the question and abbreviated in the articles: "United Nations" / "UN"
    # (the short form as the articles write it, in capitals: "UN", "U.N."; not one made from
    # the articles' own spelled-out names, or "Arbor Drugs" would be the "Agriculture Department")
    spelled = {w for run in re.findall(r"[A-Z][a-z]+(?: (?:of |and )?[A-Z][a-z]+)+", question)
               if _abbreviated(run, raw) for w in run.lower().split()}
    missing = [t for t in key_terms(question) if t not in spelled and not holds_name(t, have)]
    if missing:
        return Gate(False, rel, missing, "the articles found do not mention " + ", ".join(missing))
    return Gate(True, rel, [])

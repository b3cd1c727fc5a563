"""searchKnowledgeBase ranks a base's passages: English and Arabic words matched in all
their written forms, other scripts by plain word splitting, scores in 0..1 and stable."""

from typing import Any

from app.library.retrieval.cache import indexes
from app.library.retrieval.tokens import tokens
from tests.support.client import GraphQLClient
from tests.support.library import READ_KB, create_knowledge_base, text_source, url_source
from tests.support.retrieval import base_of, search

PARKING = (
    "Parking",
    "Free parking is available in the underground garage on Cedar Street.\n\n"
    "Bicycles can be left in the racks by the main entrance.",
)
CANCELLING = (
    "Cancelling",
    "Please cancel your appointment at least 24 hours in advance. "
    "Late cancellations cost 25 dollars.",
)
HOURS = ("Opening hours", "We are open from 9:00 to 17:00, Monday to Friday.")
SCHOOL = ("المدرسة", "يَدْرُسُ أحمد في المدرسة الابتدائية منذ سنتين، ويحب مادة الرياضيات.")
LIBRARY = ("المكتبة", "تفتح المكتبة العامة أبوابها للقراء من الصباح حتى المساء.")


def _ids(passages: list[dict[str, Any]]) -> list[str]:
    return [p["sourceId"] for p in passages]


async def test_the_passage_sharing_the_query_words_comes_first(api: GraphQLClient) -> None:
    base = await base_of(api, "Front desk", HOURS, PARKING, CANCELLING)
    hours, parking, _ = base["sources"]
    passages = await search(api, base, "Where is the parking garage?")
    assert _ids(passages)[0] == parking["id"]
    first = passages[0]
    assert first["knowledgeBaseId"] == base["id"]
    assert (first["title"], first["url"], first["start"]) == ("Parking", None, 0)
    assert first["text"] == PARKING[1]  # two short paragraphs: one chunk
    assert 0 < first["score"] < 1
    # Stemmed: "opening" finds "open", "cancelled appointments" finds "cancel ... appointment".
    assert _ids(await search(api, base, "opening times"))[0] == hours["id"]
    assert _ids(await search(api, base, "cancelled appointments"))[0] == base["sources"][2]["id"]


async def test_arabic_matches_whatever_diacritics_alef_forms_and_tatweel(
    api: GraphQLClient,
) -> None:
    base = await base_of(api, "قاعدة", SCHOOL, LIBRARY)
    school = base["sources"][0]["id"]
    plain = await search(api, base, "احمد المدرسه")
    variants = [
        "أحمد المدرسه",  # hamza above
        "إحمد المدرسه",  # hamza below
        "آحمد المدرسه",  # madda
        "ٱحمد المدرسه",  # wasla
        "أَحْمَدُ الْمَدْرَسَه",  # harakat
        "أحـــمد المدرســه",  # tatweel
        "ﺃﺣﻤﺪ المدرسه",  # presentation forms
    ]
    assert _ids(plain) == [school]
    for variant in variants:
        assert await search(api, base, variant) == plain, variant
    # The diacritics of the text itself do not hide its words either.
    assert _ids(await search(api, base, "يدرس الرياضيات")) == [school]
    # Stemmed: article, prepositions, plural and "and the" still find the library.
    library = base["sources"][1]["id"]
    for form in ("المكتبات", "للمكتبة", "بالمكتبة", "والمكتبة"):
        assert _ids(await search(api, base, form)) == [library], form


def test_tokens_fold_arabic_forms_digits_and_english_suffixes() -> None:
    assert tokens("أحمد") == tokens("احمد") == tokens("أَحْمَد") == tokens("احــمد")
    assert tokens("المدرسة") == tokens("مدرسة")
    assert tokens("٣ ۳ 3") == ["3", "3", "3"]
    assert tokens("ﻻ") == tokens("لا")
    assert tokens("Running RUNS run") == ["run", "run", "run"]
    # Per word, not per text: a mixed sentence is stemmed in both languages.
    assert sorted(tokens("المدرسة schools")) == sorted(tokens("مدرسة") + tokens("school"))
    # Other scripts: Unicode words, case folded, unstemmed.
    assert tokens("ПРИВЕТ мир, 東京タワー") == ["привет", "мир", "東京タワー"]


async def test_other_scripts_are_split_into_words_and_case_folded(api: GraphQLClient) -> None:
    base = await base_of(api, "Mixed", ("Русский", "Привет, мир! Мы открыты каждый день."), HOURS)
    assert _ids(await search(api, base, "ОТКРЫТЫ")) == [base["sources"][0]["id"]]


async def test_scores_are_between_zero_and_one_best_first_and_stable(
    api: GraphQLClient,
) -> None:
    base = await base_of(api, "Front desk", HOURS, PARKING, CANCELLING)
    query = "free parking or late cancellation in advance"
    passages = await search(api, base, query)
    scores = [p["score"] for p in passages]
    assert len(passages) == 2
    assert all(0 < s < 1 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert await search(api, base, query) == passages
    # The same content elsewhere scores the same, and so does an index rebuilt from the texts.
    again = await base_of(api, "Copy", HOURS, PARKING, CANCELLING)
    copied = await search(api, again, query)
    assert [p["score"] for p in copied] == scores
    indexes.clear()
    assert await search(api, base, query) == passages
    # minScore keeps the passages scoring at least that much; topK the best ones.
    assert await search(api, base, query, minScore=scores[0]) == passages[:1]
    assert await search(api, base, query, minScore=1) == []
    assert await search(api, base, query, topK=1) == passages[:1]


async def test_nothing_found_is_an_empty_list(api: GraphQLClient) -> None:
    base = await base_of(api, "Front desk", HOURS, PARKING)
    assert await search(api, base, "zebra xylophone") == []
    assert await search(api, base, "?!") == []
    assert await search(api, base, " ") == []
    empty = await create_knowledge_base(api, name="Empty", sources=[])
    assert await search(api, empty, "parking") == []


async def test_a_url_source_never_fetched_yields_no_passages(api: GraphQLClient) -> None:
    base = await create_knowledge_base(
        api, sources=[url_source(title="Parking prices"), text_source()]
    )
    assert await search(api, base, "parking prices") == []
    (hours,) = await search(api, base, "open Monday")
    assert hours["sourceId"] == base["sources"][1]["id"]


async def test_passages_of_a_long_text_carry_their_offsets(api: GraphQLClient) -> None:
    paragraphs = [f"Topic {n}: " + " ".join(f"term{n}x{k}" for k in range(150)) for n in range(12)]
    text = "\n\n".join(paragraphs)
    base = await base_of(api, "Long", ("Long text", text))
    stored = (await api.data(READ_KB, id=base["id"]))["knowledgeBase"]["sources"][0]["text"]
    assert stored == text
    for n in (0, 5, 11):
        (passage,) = await search(api, base, f"term{n}x7", topK=50)
        start = passage["start"]
        assert stored[start : start + len(passage["text"])] == passage["text"]
        assert len(passage["text"]) <= 2_000
        assert paragraphs[n] in passage["text"]

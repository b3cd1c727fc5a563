"""Retrieval finds what answers: a labelled set of English and Arabic questions, recall@5."""

from tests.support.client import GraphQLClient
from tests.support.retrieval import base_of, corpus, search

TOP = 5


async def test_recall_at_five_is_at_least_nine_in_ten(api: GraphQLClient) -> None:
    labelled = corpus()
    documents = labelled["documents"]
    base = await base_of(api, "Clinic FAQ", *((d["title"], d["text"]) for d in documents))
    source_of = {d["id"]: s["id"] for d, s in zip(documents, base["sources"], strict=True)}
    questions = labelled["questions"]
    languages = {"ar" if q["answer"].startswith("ar_") else "en" for q in questions}
    assert len(questions) >= 30
    assert languages == {"en", "ar"}

    found = 0
    misses = []
    for question in questions:
        passages = await search(api, base, question["question"], topK=TOP)
        assert len(passages) <= TOP
        if source_of[question["answer"]] in [p["sourceId"] for p in passages]:
            found += 1
        else:
            misses.append(question["question"])
    assert found / len(questions) >= 0.9, misses


async def test_each_language_is_answered_from_its_own_documents(api: GraphQLClient) -> None:
    labelled = corpus()
    documents = labelled["documents"]
    base = await base_of(api, "Clinic FAQ", *((d["title"], d["text"]) for d in documents))
    arabic = {
        s["id"] for d, s in zip(documents, base["sources"], strict=True) if d["id"][:3] == "ar_"
    }
    for question in labelled["questions"]:
        (best,) = await search(api, base, question["question"], topK=1)
        assert (best["sourceId"] in arabic) == question["answer"].startswith("ar_")

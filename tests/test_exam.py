"""The exam bank (mailsec.exam): its data, the strict loader, drawing, scoring, and the afternoon
questions generated from real runs, whose answers must agree with the mechanisms."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mailsec import exam, spf
from mailsec.dmarc import AlignmentMode, is_aligned, parse_authentication_results
from mailsec.errors import InputError
from mailsec.exam import GENERATORS, LETTERS, TOPICS, Bank, Kind, Level, Link, Question, Text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DATA = ROOT / "mailsec" / "data" / "exam"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return exam.bank()


@pytest.fixture(scope="module")
def written(bank: Bank) -> tuple[Question, ...]:
    return bank.questions


def generator(gid: str) -> exam.Generator:
    return next(g for g in GENERATORS if g.id == gid)


# -- the bank ---------------------------------------------------------------------------------


def test_the_bank_has_at_least_80_morning_questions_over_every_chapter(written) -> None:
    morning = [q for q in written if q.kind is Kind.MORNING]
    assert len(morning) >= 80
    per_topic = Counter(q.topic for q in morning)
    assert set(per_topic) == set(TOPICS), per_topic
    assert min(per_topic.values()) >= 5, per_topic


def test_every_level_is_asked_and_documented(written) -> None:
    assert {q.level for q in written} == set(Level)
    for level in Level:
        assert level.__doc__ and level.exams
    assert Level.BASIC.exams == "基本情報技術者 / 情報セキュリティマネジメント"
    assert Level.SPECIALIST.exams == "情報処理安全確保支援士"


def test_there_are_at_least_four_kinds_of_afternoon_questions(bank: Bank) -> None:
    assert len(bank.generators) >= 4
    assert all(g.kind is Kind.AFTERNOON for g in bank.generators)
    assert len({g.topic for g in bank.generators}) >= 4


def test_every_text_is_there_in_both_languages(written) -> None:
    for q in written:
        for text in (q.text, q.explanation, *q.choices):
            assert text.en.strip() and text.ja.strip(), q.id
        # a choice may be the same in both (a port, a result, a protocol); sentences never are
        assert q.text.en != q.text.ja and q.explanation.en != q.explanation.ja, q.id


def test_japanese_questions_read_like_ipa_morning_questions(written) -> None:
    for q in written:
        assert q.text.ja.endswith("か。"), f"{q.id}: {q.text.ja[-20:]!r}"
        assert "どれか" in q.text.ja, q.id
        assert re.search(r"[\u3040-\u30ff]", q.explanation.ja), q.id


def test_ipa_terms_are_used(written) -> None:
    japanese = "\n".join(t.ja for q in written for t in (q.text, q.explanation, *q.choices))
    assert "改竄" not in japanese  # IPA writes 改ざん
    for term in ("なりすまし", "送信ドメイン認証", "第三者中継", "盗聴", "改ざん", "電子署名"):
        assert term in japanese, term


def test_no_choice_is_all_or_none_of_the_above(written) -> None:
    for q in written:
        for choice in q.choices:
            assert "of the above" not in choice.en.lower(), q.id
            assert "上記" not in choice.ja and "いずれも正しい" not in choice.ja, q.id


def test_right_answers_are_spread_over_the_four_positions(written) -> None:
    positions = Counter(q.answer for q in written)
    assert set(positions) == set(LETTERS), positions
    assert max(positions.values()) <= 0.40 * len(written), positions
    for topic in TOPICS:
        mine = Counter(q.answer for q in written if q.topic == topic)
        assert max(mine.values()) <= 0.5 * sum(mine.values()), (topic, mine)


def test_each_question_links_to_its_own_chapter_and_the_anchor_jupyterlab_makes(written) -> None:
    for q in written:
        assert q.link.chapter == q.topic, q.id
        assert q.link.heading in exam.notebook_headings(q.link.notebook), q.id
        notebook, _, anchor = q.link.href("en").partition("#")
        assert notebook == q.link.notebook and " " not in anchor
        assert anchor == q.link.heading.replace(" ", "-")


def test_the_japanese_link_names_the_mirrored_heading() -> None:
    link = Link.from_text("07-dkim-dmarc.ipynb#Lab: DMARC and the bank")
    english = exam.notebook_headings(link.notebook)
    japanese = exam.notebook_headings(f"ja/{link.notebook}")
    assert len(japanese) == len(english), "the Japanese notebook mirrors the English headings"
    assert link.heading_in("ja") == japanese[english.index(link.heading)]
    assert link.href("ja") == f"{link.notebook}#{link.heading_in('ja').replace(' ', '-')}"
    assert link.heading_in("en") == link.heading


def test_the_ids_are_unique_and_the_data_file_is_tidy(written) -> None:
    assert len({q.id for q in written}) == len(written)
    raw = (DATA / "questions.json").read_text("utf-8")
    assert raw.endswith("\n") and "\t" not in raw


def test_text_follows_the_language() -> None:
    text = Text("Which?", "どれか。")
    from mailsec.i18n import using

    assert text.get("en") == "Which?" and text.get("ja") == "どれか。"
    with using("ja"):
        assert text.get() == "どれか。"
    with using("qps"):
        assert text.get() == "⟦Which?⟧"


# -- the loader: one sentence per problem -----------------------------------------------------


def _broken(tmp_path: Path, change) -> str:
    """The message of loading a copy of the bank that ``change`` broke."""
    data = json.loads((DATA / "questions.json").read_text("utf-8"))
    change(data["questions"])
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(InputError) as caught:
        exam.load(path, notebooks=NOTEBOOKS)
    return caught.value.message


def _first(questions: list) -> dict:
    return questions[0]


BROKEN = {
    "unknown field": (
        lambda qs: _first(qs).__setitem__("hint", "look at chapter 03"),
        "Question 'smtp-sends' has a field 'hint' the schema does not know; the fields are "
        "answer, choices, exhibit, explanation, id, kind, level, link, question, topic.",
    ),
    "missing language": (
        lambda qs: _first(qs)["explanation"].pop("ja"),
        "Question 'smtp-sends': its explanation has no Japanese text ('ja').",
    ),
    "unknown language": (
        lambda qs: _first(qs)["question"].__setitem__("fr", "Quel protocole ?"),
        "Question 'smtp-sends': its question has a language 'fr' the course does not have; "
        "use 'en' and 'ja'.",
    ),
    "empty text": (
        lambda qs: _first(qs)["choices"][1].__setitem__("en", " "),
        "Question 'smtp-sends': its choice イ has an empty English text.",
    ),
    "duplicate id": (
        lambda qs: qs[1].__setitem__("id", "smtp-sends"),
        "The id 'smtp-sends' is used by two questions; every question needs its own.",
    ),
    "answer not a choice": (
        lambda qs: _first(qs).__setitem__("answer", "オ"),
        "Question 'smtp-sends' gives the answer 'オ', which is not one of the choices "
        "ア, イ, ウ, エ.",
    ),
    "three choices": (
        lambda qs: _first(qs)["choices"].pop(),
        "Question 'smtp-sends' has 3 choices; an exam question has exactly four (ア, イ, ウ, エ).",
    ),
    "five choices": (
        lambda qs: _first(qs)["choices"].append({"en": "HTTP", "ja": "HTTP"}),
        "Question 'smtp-sends' has 5 choices; an exam question has exactly four (ア, イ, ウ, エ).",
    ),
    "duplicate choices": (
        lambda qs: _first(qs)["choices"][2].__setitem__("en", _first(qs)["choices"][0]["en"]),
        "Question 'smtp-sends' has two choices with the same English text: 'SMTP'.",
    ),
    "missing notebook": (
        lambda qs: _first(qs).__setitem__("link", "11-smtp.ipynb#Lab: sending"),
        "Question 'smtp-sends': its link points to 11-smtp.ipynb, which is not a notebook in "
        "notebooks/.",
    ),
    "missing heading": (
        lambda qs: _first(qs).__setitem__("link", "03-spf.ipynb#Lab: DKIM"),
        "Question 'smtp-sends': its link points to the heading 'Lab: DKIM', which 03-spf.ipynb "
        "does not have.",
    ),
    "link without heading": (
        lambda qs: _first(qs).__setitem__("link", "03-spf.ipynb"),
        "Question 'smtp-sends': its link '03-spf.ipynb' is not a notebook and a heading, such as "
        "'03-spf.ipynb#Limits and pitfalls'.",
    ),
    "missing field": (
        lambda qs: _first(qs).pop("explanation"),
        "Question 'smtp-sends' has no 'explanation'.",
    ),
    "bad topic": (
        lambda qs: _first(qs).__setitem__("topic", "10"),
        "Question 'smtp-sends': its topic '10' is not a chapter from '00' to '09'.",
    ),
    "bad level": (
        lambda qs: _first(qs).__setitem__("level", 4),
        "Question 'smtp-sends': its level 4 is not 1, 2 or 3.",
    ),
    "bad kind": (
        lambda qs: _first(qs).__setitem__("kind", "evening"),
        "Question 'smtp-sends': its kind 'evening' is not 'morning' or 'afternoon'.",
    ),
    "bad id": (
        lambda qs: _first(qs).__setitem__("id", "SMTP Sends"),
        "Entry 1 has no valid id ('SMTP Sends'): use lower-case letters, digits and hyphens.",
    ),
}


@pytest.mark.parametrize("rule", BROKEN, ids=str)
def test_each_problem_is_refused_with_its_sentence(tmp_path: Path, rule: str) -> None:
    change, sentence = BROKEN[rule]
    message = _broken(tmp_path, change)
    assert message.startswith("The exam bank questions.json has 1 problem:\n- "), message
    assert sentence in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def change(qs: list) -> None:
        qs[0]["answer"] = "A"
        qs[5]["question"].pop("en")
        qs[9]["link"] = "99-nothing.ipynb#Summary"

    message = _broken(tmp_path, change)
    assert message.startswith("The exam bank questions.json has 3 problems:")
    assert message.count("\n- ") == 3


def test_the_loader_refuses_a_file_that_is_not_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    path.write_text('{"questions": [], "answers": {}}', "utf-8")
    with pytest.raises(InputError, match=r'must be one object with one field, "questions"'):
        exam.load(path)
    path.write_text("{not json", "utf-8")
    with pytest.raises(InputError, match=r"is not valid JSON"):
        exam.load(path)


def test_an_afternoon_question_may_be_written_with_an_exhibit(tmp_path: Path) -> None:
    item = {
        "id": "read-the-record",
        "topic": "03",
        "level": 2,
        "kind": "afternoon",
        "question": {"en": "Which result?", "ja": "結果はどれか。"},
        "exhibit": {"en": 'example.com. TXT "v=spf1 -all"', "ja": 'example.com. TXT "v=spf1 -all"'},
        "choices": [{"en": w, "ja": w} for w in ("pass", "fail", "softfail", "neutral")],
        "answer": "イ",
        "explanation": {"en": "-all matches everything.", "ja": "-allはすべてに一致する。"},
        "link": "03-spf.ipynb#Exercise 03.2: the other results",
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"questions": [item]}), "utf-8")
    (question,) = exam.load(path, notebooks=NOTEBOOKS)
    assert question.kind is Kind.AFTERNOON and question.exhibit
    assert question.right.en == "fail"


def test_the_templates_refuse_placeholders_that_differ_between_languages(tmp_path: Path) -> None:
    data = json.loads((DATA / "afternoon.json").read_text("utf-8"))
    data["generators"][0]["question"]["ja"] += "{port}"
    path = tmp_path / "afternoon.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(InputError, match=r"uses the placeholders \[\] in English but \['port'\]"):
        exam.load_templates(path, notebooks=NOTEBOOKS)


def test_a_question_object_keeps_its_invariants() -> None:
    text = Text("x", "x")
    link = Link("03-spf.ipynb", "Summary")
    with pytest.raises(InputError, match="has 3 choices"):
        Question("q", "03", Level.BASIC, Kind.MORNING, text, (text,) * 3, "ア", text, link)
    with pytest.raises(InputError, match="gives the answer 'a'"):
        Question("q", "03", Level.BASIC, Kind.MORNING, text, (text,) * 4, "a", text, link)


# -- drawing and scoring ----------------------------------------------------------------------


def test_draw_is_the_same_for_the_same_seed_and_differs_for_another(bank: Bank) -> None:
    one = exam.draw(bank, count=15, rng=random.Random(42))
    two = exam.draw(bank, count=15, rng=random.Random(42))
    assert one == two
    assert [q.id for q in exam.draw(bank, count=15, rng=random.Random(43))] != [q.id for q in one]


def test_draw_respects_the_filters(bank: Bank) -> None:
    for seed in range(20):
        rng = random.Random(seed)
        drawn = exam.draw(bank, topics=["03", "07"], levels=[2, 3], count=6, rng=rng)
        assert len(drawn) == 6
        assert {q.topic for q in drawn} <= {"03", "07"}
        assert {int(q.level) for q in drawn} <= {2, 3}
        assert len({q.id for q in drawn}) == len(drawn)
    afternoon = exam.draw(bank, kinds="afternoon", count=50, rng=random.Random(1))
    assert len(afternoon) == len(bank.generators)
    assert all(q.kind is Kind.AFTERNOON and q.exhibit for q in afternoon)
    single = exam.draw(bank, topics="05", levels=1, count=50, rng=random.Random(1))
    assert single and {(q.topic, q.level) for q in single} == {("05", Level.BASIC)}


def test_morning_questions_come_before_afternoon_ones(bank: Bank) -> None:
    drawn = exam.draw(bank, count=len(bank.items), rng=random.Random(5))
    kinds = [q.kind for q in drawn]
    assert kinds == sorted(kinds, key=lambda k: k is Kind.AFTERNOON)
    assert Kind.AFTERNOON in kinds


def test_draw_refuses_what_it_cannot_do(bank: Bank) -> None:
    rng = random.Random(0)
    with pytest.raises(InputError, match="No question matches"):
        exam.draw(bank, topics=["00"], kinds=["afternoon"], rng=rng)
    with pytest.raises(InputError, match=r"10 is not a chapter"):
        exam.draw(bank, topics=["10"], rng=rng)
    with pytest.raises(InputError, match="4 is not a level"):
        exam.draw(bank, levels=[4], rng=rng)
    with pytest.raises(InputError, match="whole number from 1"):
        exam.draw(bank, count=0, rng=rng)


def test_score_counts_right_answers_and_lists_the_rest_for_review(written) -> None:
    questions = written[:4]
    wrong = next(letter for letter in LETTERS if letter != questions[1].answer)
    answers = {questions[0].id: questions[0].answer, questions[1].id: wrong}
    result = exam.score(questions, answers)
    assert (result.right, result.total) == (1, 4)
    assert [a.question for a in result.wrong] == list(questions[1:])
    assert result.wrong[0].given == wrong and result.wrong[1].given is None
    with pytest.raises(InputError, match="is not one of ア, イ, ウ, エ"):
        exam.score(questions, {questions[0].id: "A"})
    with pytest.raises(InputError, match="not in the set: nope"):
        exam.score(questions, {"nope": "ア"})


# -- generated afternoon questions agree with the mechanisms ----------------------------------


def _key_of_right_answer(g: exam.Generator, question: Question) -> str:
    return next(key for key, text in g.template.choices if text.en == question.right.en)


def test_every_case_of_every_generator_makes_a_question(bank: Bank) -> None:
    """Every case, in both languages (how fast: benchmarks/bench_exam.py, not a timed test)."""
    for g in bank.generators:
        seen = set()
        for case in g.cases:
            question = g.question(case, random.Random(0))
            assert question.kind is Kind.AFTERNOON and question.topic == g.topic
            assert question.exhibit and question.exhibit.en and question.exhibit.ja
            assert "{" not in question.text.en + question.text.ja, (g.id, case)
            assert "{" not in question.explanation.en + question.explanation.ja, (g.id, case)
            assert question.text.ja.endswith("どれか。"), (g.id, question.text.ja[-20:])
            assert len({c.en for c in question.choices}) == 4
            seen.add(question.id)
        assert len(seen) == len(g.cases)


def test_generated_questions_are_the_same_for_the_same_rng() -> None:
    for g in GENERATORS:
        assert g.generate(random.Random(9)) == g.generate(random.Random(9))


def test_generated_right_answers_spread_over_positions_when_shuffled() -> None:
    g = generator("op25b-path")
    letters = Counter(g.generate(random.Random(seed)).answer for seed in range(200))
    assert set(letters) == set(LETTERS)


def test_op25b_answers_are_the_path_models_verdicts() -> None:
    from mailsec.op25b import Policy, simulate

    g = generator("op25b-path")
    verdicts = Counter()
    for case in g.cases:
        login = {
            "provider-smtp": {"user": "hanako@mailprovider.example", "password": "sakura-2026"},
            "webmail": {"user": "lucky-prize-7@webmail.example", "password": "free-signup"},
        }.get(case.destination, {})
        result = simulate(
            case.source,
            case.destination,
            case.port,
            policy=Policy(op25b=case.op25b, ip25b=case.ip25b),
            **(login if case.login else {}),
        )
        question = g.question(case, random.Random(3))
        assert _key_of_right_answer(g, question) == result.verdict.value, case
        verdicts[result.verdict.value] += 1
    assert set(verdicts) == {"delivered", "dropped", "refused", "unreachable"}


def test_pop_imap_answers_are_what_the_laptop_shows_in_the_model() -> None:
    from mailsec.retrieval.model import ImapSettings, PopSettings, run
    from mailsec.retrieval.scenarios import SCENARIOS

    g = generator("pop-imap-devices")
    clients = {
        "pop-delete": PopSettings(),
        "pop-copy": PopSettings(leave_copy=True),
        "imap": ImapSettings(),
    }
    for case in g.cases:
        laptop = run(
            SCENARIOS["phone-then-laptop"],
            client=clients[case],
            clock=lambda: datetime(2026, 11, 2, 8, tzinfo=timezone.utc),
        ).final.device("Laptop")
        labels = [m.label for m in laptop.messages]
        read = {m.label for m in laptop.messages if m.read}
        if not labels:
            expected = "nothing"
        elif labels == ["M1", "M2", "M3"] and not read:
            expected = "all-unread"
        elif labels == ["M1", "M2"] and read == {"M1"}:
            expected = "same-as-phone"
        else:
            expected = "two-unread"
        assert _key_of_right_answer(g, g.question(case)) == expected, case


def test_spf_answers_are_what_spf_check_says_about_the_exhibit() -> None:
    from mailsec.spf.zone import ZoneResolver

    g = generator("spf-result")
    results = Counter()
    for case in g.cases:
        question = g.question(case)
        zone = ZoneResolver.from_text("$ORIGIN .\n" + question.exhibit.en)
        ip = re.search(r"server at (\S+) connects", question.text.en).group(1)
        outcome = spf.check(ip, "info@example.com", "sender.example", resolver=zone)
        assert question.right.en == str(outcome.result), case
        results[str(outcome.result)] += 1
    assert set(results) == {"pass", "fail", "softfail", "neutral"}


def _aligned(info, prop: str, from_domain: str) -> bool:
    domain = info.get(prop) or ""
    domain = domain.rpartition("@")[2]
    return info.result == "pass" and is_aligned(domain, from_domain, AlignmentMode.RELAXED)


def test_alignment_answers_are_what_the_authentication_results_field_says() -> None:
    g = generator("dmarc-alignment")
    keys = Counter()
    for case in g.cases:
        question = g.question(case)
        field = next(
            line
            for line in question.exhibit.en.splitlines()
            if line.startswith("Authentication-Results:")
        )
        read = parse_authentication_results(field)
        (dmarc,) = read.find("dmarc")
        from_domain = dmarc.get("header.from")
        spf_ok = any(_aligned(i, "smtp.mailfrom", from_domain) for i in read.find("spf"))
        dkim_ok = any(_aligned(i, "header.d", from_domain) for i in read.find("dkim"))
        expected = {
            (True, True): "both",
            (True, False): "spf",
            (False, True): "dkim",
            (False, False): "neither",
        }[(spf_ok, dkim_ok)]
        assert _key_of_right_answer(g, question) == expected, case
        assert (dmarc.result == "pass") == (spf_ok or dkim_ok), case
        keys[expected] += 1
    assert set(keys) == {"both", "spf", "dkim", "neither"}


def test_disposition_answers_are_what_the_receiving_server_does() -> None:
    from mailsec.dmarc.scenarios import Changes, Scenario, run

    g = generator("dmarc-disposition")
    where = {"none": "inbox", "quarantine": "junk", "reject": "refused"}
    seen = Counter()
    for case in g.cases:
        name, policy = case
        _, check, record = run(Scenario(name), Changes(policy=policy))
        question = g.question(case, random.Random(1))
        assert _key_of_right_answer(g, question) == where[check.disposition.value], case
        assert record and record in question.exhibit.en
        assert "dmarc=" not in question.exhibit.en, "the exhibit must not give the answer away"
        seen[where[check.disposition.value]] += 1
    assert set(seen) == {"inbox", "junk", "refused"}


def test_mta_sts_answers_are_the_senders_decision() -> None:
    from mailsec.transport import mtasts
    from mailsec.transport.mtasts_delivery import MxHost, TlsOutcome, decide_delivery

    g = generator("mta-sts-delivery")
    names = {
        "forged": "evil-mx.attacker.example",
        "mx1": "mx1.example.net",
        "backup": "mx.backup.example.net",
    }
    seen = set()
    for mode, mx1, backup in g.cases:
        question = g.question((mode, mx1, backup))
        policy_text = question.exhibit.en.split(":\n", 1)[1].split("\n\n", 1)[0] + "\n"
        delivery = decide_delivery(
            mtasts.parse_policy(policy_text),
            [
                MxHost(names["forged"], TlsOutcome.VALID, preference=5),
                MxHost(names["mx1"], TlsOutcome(mx1), preference=10),
                MxHost(names["backup"], TlsOutcome(backup), preference=20),
            ],
            domain="example.net",
        )
        used = [v.host.name for v in delivery.verdicts if v.used]
        key = _key_of_right_answer(g, question)
        assert (names.get(key) if key != "nobody" else None) == (used[0] if used else None)
        seen.add(key)
    assert seen == {"forged", "mx1", "backup", "nobody"}

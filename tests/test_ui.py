"""The chat page (`rag ui`).

Fast tests: the HTML an answer becomes (escaping, [n] links, highlights,
the disagreement panel, the abstention) and the follow-up rewrite, with fakes.
The slow test starts the real `rag ui` (default model, real index) on a free
loopback port and drives it in Debian's headless Chromium through Playwright.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from eval import scoring as S
from eval.harness import load_gold
from rag.followup import condense, needs_context
from rag.render import render_answer
from rag.settings import ROOT

from helpers import BIN, FakeLLM, free_port, running

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "eval" / "reports" / "ui"


def answer_json(**over) -> dict:
    j = {"question": "q", "answer": "Tariffs were cut to 30% [1]. Others say 40% [2].", "abstained": False,
         "citations": [
             {"n": 1, "doc_id": "a", "chunk_id": "a1", "title": "Truce <b>holds</b>", "supported": True,
              "text": "The US cut tariffs to 30% for 90 days.", "outlet": "Wire", "date": "2026-02-05"},
             {"n": 2, "doc_id": "b", "chunk_id": "b1", "title": "Duties", "supported": True,
              "text": "Goods still face duties of over 40%.", "outlet": None, "date": None}],
         "conflicts": [], "evidence": [], "removed": []}
    return j | over


# ---- rendering -------------------------------------------------------------------

def test_answer_links_each_marker_to_its_expandable_source():
    h = render_answer(answer_json(), turn=3)
    assert h.count('href="#src-3-1"') == 1 and h.count('href="#src-3-2"') == 1
    assert '<details id="src-3-1" class="source">' in h and '<details id="src-3-2" class="source">' in h
    assert "Truce &#60;b&#62;holds&#60;/b&#62;" in h and "<b>holds</b>" not in h  # titles are text
    assert "Wire, 2026&#45;02&#45;05" in h  # outlet and date beside the title
    assert "<mark>30%</mark>" in h and "<mark>tariffs</mark>" in h  # the words the claim rests on


def test_a_marker_without_a_source_stays_text():
    h = render_answer(answer_json(answer="Cut to 30% [1] [7]."), turn=1)
    assert 'href="#src-1-7"' not in h and "&#91;7&#93;" in h


def test_article_text_cannot_become_markup():
    evil = '<img src=x onerror=alert(1)> [click](javascript:alert(2)) $x$ <script>alert(3)</script>'
    j = answer_json(answer=f"It says {evil} [1].")
    j["citations"][0] = j["citations"][0] | {"title": evil, "text": evil}
    h = render_answer(j, turn=1)
    for bad in ("<img", "<script", "](javascript", "onerror=alert(1)>"):
        assert bad not in h
    assert "javascript:alert" in h  # shown, as text


def test_disagreement_panel_names_each_version_and_source():
    j = answer_json(conflicts=[{"kind": "percent", "values": [
        {"value": "30%", "n": 1, "doc_id": "a", "chunk_id": "a1", "quote": "..."},
        {"value": "over 40%", "n": 2, "doc_id": "b", "chunk_id": "b1", "quote": "..."}]}])
    h = render_answer(j, turn=2)
    panel = h[h.index('class="conflict"'):h.index("</ul></div>")]
    assert "Sources disagree" in panel and "30%" in panel and "over 40%" in panel
    assert 'href="#src-2-1"' in panel and 'href="#src-2-2"' in panel and "Truce" in panel


def test_abstention_is_its_own_state_with_the_closest_passages():
    j = answer_json(answer="The articles don't say.", abstained=True, citations=[],
                    evidence=[{"n": 1, "doc_id": "a", "title": "Cars", "text": "Japan exports cars."}])
    h = render_answer(j, turn=1)
    assert 'class="abstain"' in h and "Closest passages" in h and "Japan exports cars" in h
    assert "Sources" not in h and "a.cite" not in h


def test_follow_up_rewrite_is_kept_only_when_it_invents_nothing():
    earlier = ["What did China agree to buy?"]
    good = FakeLLM("What did China agree to buy in soybeans?")
    assert condense("and what about soybeans?", earlier, lambda m: "".join(good.stream(m, 48))) == \
        ("What did China agree to buy in soybeans?", "rewritten")
    msgs = good.last_messages
    assert "What did China agree to buy?" in msgs[-1]["content"]  # the user's earlier question, not answers
    bad = lambda m: "How many soybeans did Brazil sell in 2019?"  # noqa: E731 - invents Brazil and 2019
    q, how = condense("and what about soybeans?", earlier, bad)
    assert how == "joined" and "soybeans" in q and "China" in q and "Brazil" not in q
    assert condense("What tariff did the US set on Chinese goods?", earlier, bad) == \
        ("What tariff did the US set on Chinese goods?", "as asked")  # stands alone: no LLM call
    assert not needs_context("Which city did Trump travel to for the trade talks?")


# ---- the real page in a real browser --------------------------------------------------

ARTICLE = """---
title: Kelvport lantern festival draws a record crowd
outlet: Harbour Gazette
date: 2026-10-04
---
Kelvport lantern festival draws a record crowd

The Kelvport lantern festival drew 48,213 visitors on Saturday, organisers said, the most since it began in 1998.
Stalls along the harbour sold paper lanterns and grilled fish until midnight.
The mayor said the town would extend next year's festival to two days.
"""


# two made-up stories giving one rate differently: the disagreement the page
# must show, whichever of the two values the tiny model answers with
FERRY = ["""---
title: Marrowby ferry operator adds a fuel surcharge
outlet: Harbour Gazette
date: 2026-09-01
---
Marrowby ferry operator adds a fuel surcharge

The Marrowby ferry operator set a fuel surcharge rate of 12% on all crossings from October, the harbour council said.
Season tickets bought before September keep their old price.
""", """---
title: Ferry surcharge higher than first announced
outlet: Coast Daily
date: 2026-10-02
---
Ferry surcharge higher than first announced

The Marrowby ferry operator's fuel surcharge rate is 15%, according to a filing with the harbour council.
The operator blamed the price of diesel, which rose through the summer.
"""]


def _launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])


def _ask(page, question: str, timeout: float = 240_000):
    """Type a question, wait for its checked answer; returns that answer's locator."""
    finals = page.locator("#chat .rag-answer.final, #chat .rag-error")
    before = finals.count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .rag-answer.final, #chat .rag-error').length > {before}",
                           timeout=timeout)
    return finals.nth(before)


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory):
    """`rag ui --model default` on a free port, over the shipped articles
    indexed into a tmp folder, with a 20 kB upload cap."""
    tmp = tmp_path_factory.mktemp("ui")
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp / "index"), "RAG_SEEDS_DIR": str(ROOT / "seeds"),
           "RAG_MAX_UPLOAD_BYTES": "20000",
           "GRADIO_TEMP_DIR": str(tmp / "gradio"), "NO_COLOR": "1"}
    url = f"http://127.0.0.1:{port}"
    with running([str(BIN / "rag"), "ui", "--port", str(port), "--model", "default"], tmp / "ui.log", url, env):
        yield url, tmp


@pytest.mark.slow
def test_chat_page_in_a_real_browser(ui_url):
    from playwright.sync_api import expect, sync_playwright

    url, tmp = ui_url
    item = next(x for x in load_gold() if x["kind"] == "fact")
    with sync_playwright() as pw:
        browser = _launch(pw)
        page = browser.new_page(viewport={"width": 1100, "height": 1300})
        page.goto(url)
        expect(page.locator("#status")).to_contain_text("Ready", timeout=240_000)  # models load at start

        # a seed question: a correct, cited answer whose [n] opens its source
        first = _ask(page, item["question"])
        text = first.locator(".text").inner_text()
        assert S.any_alias(text, item["answers"]), text
        link = first.locator("a.cite").first
        n = int(re.sub(r"\D", "", link.inner_text()))
        source = first.locator("details.source").nth(0)
        assert source.get_attribute("open") is None  # collapsed until asked for
        link.click()
        expect(source).to_have_attribute("open", "")
        expect(source.locator("blockquote")).to_be_visible()
        assert source.locator("mark").count() > 0  # the supporting words are marked
        assert f"[{n}]" in source.locator("summary").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "answered.png"), full_page=True)

        # upload an article, then ask about it: the answer cites it
        page.locator("#chat").scroll_into_view_if_needed()
        page.get_by_text("Options and adding articles").click()
        art = tmp / "lantern festival.md"
        art.write_text(ARTICLE, encoding="utf-8")
        page.locator("#upload input[type=file]").set_input_files(str(art))
        expect(page.locator("#upload-status")).to_contain_text("1 article added", timeout=120_000)
        expect(page.locator("#upload-status")).to_contain_text("Kelvport lantern festival")
        expect(page.locator("#status")).to_contain_text("6 articles")
        second = _ask(page, "How many visitors did the Kelvport lantern festival draw?")
        assert "48,213" in second.locator(".text").inner_text()
        assert "Kelvport" in second.locator("details.source summary").first.inner_text()

        # a binary file with a .txt name is refused with a reason, and nothing else changes
        junk = tmp / "photo.txt"
        junk.write_bytes(bytes(random.Random(0).sample(range(256), 256)) * 16)  # NULs and all
        page.locator("#upload input[type=file]").set_input_files(str(junk))
        expect(page.locator("#upload-status")).to_contain_text("Nothing added", timeout=60_000)
        expect(page.locator("#upload-status")).to_contain_text("photo.txt")
        expect(page.locator("#status")).to_contain_text("6 articles")

        # a file over the upload cap is refused before it is stored
        big = tmp / "long.txt"
        big.write_text("A sentence about lanterns. " * 1000, encoding="utf-8")  # 27 kB, cap 20 kB
        page.locator("#upload input[type=file]").set_input_files(str(big))
        expect(page.get_by_text("exceed the maximum allowed size")).to_be_visible(timeout=30_000)
        expect(page.locator("#status")).to_contain_text("6 articles")

        # a follow-up is searched as a standalone question
        follow = _ask(page, "And on what date did it take place?")
        searched = follow.locator(".searched").inner_text()
        assert "Searched for:" in searched and "lantern" in searched.lower(), searched
        page.screenshot(path=str(SHOTS / "conversation.png"), full_page=True)

        # two visitors at once, each gets the answer it got alone
        solo = {item["question"]: text, "How many visitors did the Kelvport lantern festival draw?":
                second.locator(".text").inner_text()}
        pages = [browser.new_context().new_page() for _ in solo]
        for p in pages:
            p.goto(url)
            expect(p.locator("#status")).to_contain_text("Ready", timeout=60_000)
        got: dict[str, str] = {}

        for p, q in zip(pages, solo):  # both questions in the queue before either is answered
            p.locator("#question textarea").fill(q)
        for p in pages:
            p.locator("#question textarea").press("Enter")
        for p, q in zip(pages, solo):
            p.wait_for_selector("#chat .rag-answer.final", timeout=240_000)
            got[q] = p.locator("#chat .rag-answer.final .text").inner_text()
        assert got == solo
        browser.close()


# ---- issue 17: the page for a working day (tiny model: quality does not matter) ----

AXE = ROOT / "tests" / "ui_assets" / "node_modules" / "axe-core" / "axe.min.js"
CLEAR = "#chat button[aria-label='Clear'], #chat button[title='Clear'], #chat button[aria-label='clear']"


def _axe(page) -> list:
    """Serious and critical axe-core violations on the page as it is, once
    Gradio's transient toasts (whose own markup nests buttons) are closed
    and no component is dimmed as pending."""
    page.wait_for_function("!document.querySelector('.toast-body') && !document.querySelector('.pending')",
                           timeout=30_000)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document).then(r => r.violations.map(v => "
                          "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary)})))")
    return [v for v in found if v["impact"] in {"serious", "critical"}]


def _send(page, question: str) -> int:
    """Send a question; returns how many checked answers were there before."""
    before = page.locator("#chat .rag-answer.final, #chat .rag-error").count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    return before


def _wait_final(page, before: int, timeout: float = 120_000):
    page.wait_for_function("n => document.querySelectorAll('#chat .rag-answer.final, #chat .rag-error').length > n",
                           arg=before, timeout=timeout)
    return page.locator("#chat .rag-answer.final, #chat .rag-error").nth(before)


@pytest.fixture(scope="module")
def tiny_ui(tmp_path_factory):
    """`rag ui --model tiny` over the shipped articles plus made-up ones
    (one to delete, two that disagree), indexed into a tmp folder."""
    import shutil

    tmp = tmp_path_factory.mktemp("ui17")
    seeds = tmp / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    (seeds / "lantern.md").write_text(ARTICLE, encoding="utf-8")
    for i, text in enumerate(FERRY):
        (seeds / f"ferry-{i}.md").write_text(text, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp / "index"), "RAG_SEEDS_DIR": str(seeds),
           "GRADIO_TEMP_DIR": str(tmp / "gradio"), "NO_COLOR": "1"}
    url = f"http://127.0.0.1:{port}"
    with running([str(BIN / "rag"), "ui", "--port", str(port), "--model", "tiny"], tmp / "ui.log", url, env):
        yield url


@pytest.mark.slow
def test_the_page_for_a_working_day(tiny_ui):
    from playwright.sync_api import expect, sync_playwright

    url = tiny_ui
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = _launch(pw)
        context = browser.new_context(viewport={"width": 1200, "height": 1300})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        page.goto(url)
        expect(page.locator("#status")).to_contain_text("Ready", timeout=240_000)

        # an empty chat: example questions drawn from the indexed articles, a level-one heading, axe clean
        examples = page.locator("#examples button.example")
        expect(examples.first).to_be_visible(timeout=30_000)
        assert page.locator("h1").count() == 1
        assert _axe(page) == [], _axe(page)
        page.screenshot(path=str(SHOTS / "empty-with-examples.png"), full_page=True)

        # an example is asked by a click
        label = examples.first.inner_text()
        examples.first.click()
        first = _wait_final(page, 0)
        assert page.locator("#chat .message").first.inner_text().strip() == label.strip()
        assert "NOT IN ARTICLES" not in first.inner_text()

        # typing while an answer streams keeps the text; a second question is refused visibly
        before = _send(page, "How many visitors did the Kelvport lantern festival draw?")
        expect(page.locator("#question textarea")).to_have_value("", timeout=10_000)  # cleared when sent
        page.locator("#question textarea").press_sequentially("typed while it answers")
        page.locator("#question textarea").press("Enter")
        expect(page.locator(".toast-body").filter(has_text="Still answering")).to_be_visible(timeout=10_000)
        answer = _wait_final(page, before)
        assert page.locator("#question textarea").input_value() == "typed while it answers"
        assert "checking citations" not in answer.inner_text()
        assert _axe(page) == [], _axe(page)

        # copy gives plain text: the answer and its numbered sources
        answer.locator("button.rag-copy").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "<" not in copied and "class=" not in copied, copied
        assert "Sources:" in copied and re.search(r"^\[\d+\] Kelvport lantern festival", copied, re.M), copied

        # a source opens in its article's context, and the whole article opens
        answer.locator("a.cite").first.click()
        src = answer.locator("details.source[open]").first
        expect(src.locator("blockquote")).to_be_visible()
        assert "The mayor said" in src.locator("blockquote").inner_text()  # the passage in its article
        src.locator("a.open-article").click()
        expect(page.locator("#article-view .article-full h2")).to_be_visible(timeout=20_000)
        assert _axe(page) == [], _axe(page)
        page.screenshot(path=str(SHOTS / "answer-with-source-open.png"), full_page=True)

        # Stop ends the answer, and the page says it was discarded
        page.locator("#question textarea").fill("What did China agree to buy?")
        before = page.locator("#chat .rag-answer.final, #chat .rag-error").count()
        page.locator("#question textarea").press("Enter")
        page.locator("#stop").click()
        stopped = _wait_final(page, before)
        assert "Stopped" in stopped.inner_text() and "discarded" in stopped.inner_text(), stopped.inner_text()

        # reload keeps the conversation, and it is in the list
        n_answers = page.locator("#chat .rag-answer.final").count()
        page.wait_for_timeout(1500)  # the save to browser storage follows the answer
        page.reload()
        expect(page.locator("#chat .rag-answer.final")).to_have_count(n_answers, timeout=30_000)
        expect(page.locator("#conversations label").first).to_be_visible()

        # the chat's own trash clears the follow-up memory: a follow-up is then asked as written
        page.locator(CLEAR).first.click()
        expect(page.locator("#chat .rag-answer.final")).to_have_count(0, timeout=10_000)
        follow = _wait_final(page, _send(page, "And how long does it last?"))
        assert follow.locator(".searched").count() == 0, follow.inner_text()

        # New conversation: an empty chat with its examples
        page.locator("#new-conv").click()
        expect(page.locator("#chat .rag-answer.final")).to_have_count(0, timeout=10_000)
        expect(examples.first).to_be_visible()

        # a disagreement and an abstention (a fresh conversation: asked as written)
        conflict = _wait_final(page, _send(page, "What fuel surcharge rate did the Marrowby ferry operator set?"))
        text = conflict.locator(".conflict").inner_text()
        assert "Sources disagree on the rate" in text, text  # not "the pct"
        page.screenshot(path=str(SHOTS / "disagreement.png"), full_page=True)
        refused = _wait_final(page, _send(page, "What tariff does the US charge on cars imported from Japan?"))
        assert "NOT IN ARTICLES" not in refused.inner_text()
        expect(refused.locator(".abstain")).to_contain_text("don't say")
        page.screenshot(path=str(SHOTS / "abstention.png"), full_page=True)

        # delete: the article and its passages leave the index and the answers
        q = "How many visitors did the Kelvport lantern festival draw?"
        assert "Kelvport" in _wait_final(page, _send(page, q)).inner_html()
        page.get_by_role("tab", name="Articles").click()
        page.locator("#article-search textarea, #article-search input").first.fill("Kelvport")
        expect(page.locator("#articles tbody tr")).to_have_count(1, timeout=20_000)  # the search keeps one
        expect(page.locator("#articles")).to_contain_text("Kelvport")
        page.screenshot(path=str(SHOTS / "articles-panel.png"), full_page=True)
        page.locator("#delete-pick input").click()
        page.get_by_role("option").filter(has_text="Kelvport").first.click()
        page.locator("#delete").click()
        expect(page.locator("#delete-status")).to_contain_text("Deleted 1 article", timeout=60_000)
        expect(page.locator("#status")).to_contain_text("7 articles")
        page.get_by_role("tab", name="Chat").click()
        assert "Kelvport" not in _wait_final(page, _send(page, q)).inner_html()
        browser.close()

"""End-to-end tests of app.py in headless Chromium (Playwright driving Debian's /usr/bin/chromium).

The app runs as a subprocess on a free loopback port against an index it builds itself from a
copy of the project corpus in ``tmp_path`` — so start-up indexing is exercised too. The API is
checked with ``gradio_client``; the browser then has to show the same answer span and citation.
Set ``RAG_SCREENSHOT_DIR=docs`` to refresh the README screenshots from this run.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.corpus.loading import load_corpus

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "一汽红旗繁荣厂区多久下线一台新能源车？"  # eval q047, gold answer 54秒
GOLD = "54秒"
SEARCH = "圈内通办"
STARTUP_SECONDS = 600  # includes building the index with the bundled embedder on 2 cores

if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app serving a fresh index of the project corpus; yields (url, working directory)."""
    work = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "corpus", work / "corpus")
    port = _free_port()
    log = (work / "app.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable, str(ROOT / "app.py"), "--port", str(port),
            "--corpus", str(work / "corpus"), "--index", str(work / "index"),
        ],
        cwd=work,  # feedback/feedback.jsonl lands here, not in the repository
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{_log(work)}")
            try:
                with direct.open(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"app.py did not answer in {STARTUP_SECONDS} s:\n{_log(work)}")
                time.sleep(0.5)
        yield url, work
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _log(work: Path) -> str:
    return (work / "app.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, url: str, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


def _ask(page, question: str) -> None:
    before = page.locator("#chat .bot-row").count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .bot-row').length > n", arg=before, timeout=60_000
    )


def _last_reply(page):
    return page.locator("#chat .bot-row").last


def _screenshot(page, name: str) -> None:
    directory = os.environ.get("RAG_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / name))


def test_start_up_builds_the_missing_index_with_visible_progress(server):
    _, work = server
    assert (work / "index" / "manifest.json").exists()
    assert "Embedding passages" in _log(work)  # the tqdm bar, shown in the terminal


def test_api_ask_and_search_answer_with_citations(server):
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    result = client.predict(QUESTION, api_name="/ask")
    assert result["answer"] is not None
    assert GOLD in result["answer"]["sentence"]
    cited = [c for c in result["citations"] if c["passage_id"] == result["answer"]["passage_id"]]
    assert cited and cited[0]["text"].startswith(f"[{cited[0]['number']}] ")
    assert len(result["passages"]) == len(result["citations"]) >= 1

    hits = client.predict(SEARCH, 3, "lexical", api_name="/search")
    assert 1 <= len(hits) <= 3
    assert all(SEARCH in hit["text"] for hit in hits)
    assert [hit["rank"] for hit in hits] == list(range(1, len(hits) + 1))

    with pytest.raises(Exception, match="问题|文字"):
        client.predict("？？？", api_name="/ask")


def test_chat_shows_the_answer_span_and_its_citation(server, browser):
    from gradio_client import Client

    url, work = server
    expected = Client(url, verbose=False).predict(QUESTION, api_name="/ask")
    answer = expected["answer"]
    citation = next(c for c in expected["citations"] if c["passage_id"] == answer["passage_id"])

    page = _page(browser, url)
    _ask(page, QUESTION)
    reply = _last_reply(page)
    assert reply.locator("mark.answer").inner_text() == answer["text"]
    assert GOLD in reply.locator(".rag-sentence").inner_text()
    assert citation["text"] in reply.locator(".rag-citations").inner_text()
    passages = reply.locator("details.rag-passage")
    assert passages.count() == len(expected["passages"])
    answered = passages.nth(citation["number"] - 1)  # the passage the answer was taken from
    answered.locator("summary").click()  # expand: it shows shaded among its neighbours
    assert GOLD in "".join(answered.locator(".rag-context .rag-shaded").all_inner_texts())
    assert citation["text"] in answered.locator(".rag-context-cite").inner_text()
    _screenshot(page, "qa.png")
    # Screen readers read the messages themselves, not Gradio's aria-label copy of their markup.
    labels = page.locator("#chat [aria-label]").evaluate_all("els => els.map(e => e.ariaLabel)")
    assert labels and not any("<" in label for label in labels), labels

    page.locator("#chat").get_by_role("button", name="赞").last.click()  # under the last reply
    feedback = work / "feedback" / "feedback.jsonl"
    deadline = time.monotonic() + 20
    while not feedback.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert record["vote"] == "up" and record["question"] == QUESTION
    assert record["answer"]["text"] == answer["text"] and record["passages"]
    page.close()


def test_follow_up_carries_the_previous_topic(server, browser):
    url, _ = server
    page = _page(browser, url)
    _ask(page, "辽源开通了多少个圈内通办事项？")
    _ask(page, "那吉林市呢？")
    reply = _last_reply(page)
    assert "按上文理解为：吉林市开通了多少个圈内通办事项？" in reply.inner_text()
    page.get_by_role("button", name="清空对话").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .bot-row').length === 0")
    _ask(page, "那吉林市呢？")  # after clearing there is nothing to lean on
    assert "按上文理解为" not in _last_reply(page).inner_text()
    page.close()


def test_example_question_is_asked_on_click(server, browser):
    url, _ = server
    page = _page(browser, url)
    page.locator("#examples button").first.click()
    page.wait_for_selector("#chat .bot-row .rag-reply", timeout=60_000)
    assert page.locator("#chat .user-row").count() == 1
    page.close()


def test_hostile_and_empty_input_shows_as_text_with_a_friendly_message(server, browser):
    url, _ = server
    page = _page(browser, url)
    hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>辽源'
    _ask(page, hostile)
    assert page.locator("#chat img, #chat script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert hostile in page.locator("#chat .user-row").last.inner_text()
    _ask(page, "？？？")
    assert "请换一种问法" in _last_reply(page).inner_text()
    _ask(page, "辽源" * 400)  # longer than max_question_chars: capped, and the reply says so
    assert "500" in _last_reply(page).locator(".rag-note").first.inner_text()
    page.close()


def test_search_tab_lists_results_opens_the_article_and_exports(server, browser):
    url, _ = server
    page = _page(browser, url)
    page.get_by_role("tab", name="检索").click()
    page.fill("#query textarea", SEARCH)
    page.click("#search-button")
    page.wait_for_selector("#results .rag-result", timeout=60_000)
    results = page.locator("#results .rag-result")
    assert results.count() >= 1
    assert SEARCH in results.first.locator("mark.term").first.inner_text()
    results.nth(1 if results.count() > 1 else 0).click()
    page.wait_for_selector("#hit-article .rag-shaded", timeout=30_000)
    assert page.locator("#hit-article .rag-title").count() == 1
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    _screenshot(page, "search.png")
    page.close()


def test_library_lists_the_articles_and_shows_one(server, browser):
    url, _ = server
    page = _page(browser, url)
    page.get_by_role("tab", name="资料").click()
    rows = page.locator(".rag-library tbody tr")
    assert rows.count() == len(load_corpus(ROOT / "corpus").documents)
    assert page.locator("#article .rag-title").count() == 1
    assert "篇文章" in page.inner_text("body") and "存于本地索引" in page.inner_text("body")
    _screenshot(page, "library.png")
    page.close()


def test_phone_width_keeps_the_answer_readable(server, browser):
    url, _ = server
    page = _page(browser, url, width=390, height=844)
    _ask(page, QUESTION)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    box = _last_reply(page).locator("mark.answer").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    _screenshot(page, "qa-mobile.png")
    page.close()

"""The web app: ``python app.py [--host H] [--port P] [--index DIR] [--corpus PATH] [--share]``.

Builds the index when it is missing or stale, loads the pipeline once, then serves three
tabs — 问答 (public chat), 检索 (staff passage search) and 资料 (the articles) — and the named
API endpoints ``/ask`` and ``/search``. A thin layer: answers and rankings come from
``rag.pipeline.answering``, follow-up rewriting from ``rag.reading.followup``, HTML from ``rag.app.render``.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from rag.app import render
from rag.config import Config
from rag.errors import RagError
from rag.app.export import write_exports
from rag.pipeline.serialize import answer_record, cited_hit_record, result_record
from rag.app.feedback import FeedbackStore
from rag.reading.followup import FollowUpResolver
from rag.app.highlight import query_terms
from rag.models import Citation, Document, Hit, SearchFilters
from rag.pipeline import Pipeline
from rag.pipeline.service import QAService

log = logging.getLogger("app")

TITLE = "长春现代化都市圈 · 新闻问答"
# Questions the shipped reader answers right (README, known misses): a button must not show a miss.
EXAMPLES = (
    "一汽红旗繁荣厂区多久下线一台新能源车？",
    "吉林市长是谁？",
    "遼源開通了多少個圈內通辦事項？",
    "how many 圈内通办事项 does 辽源 have",
)
MODES = (("混合（推荐）", "hybrid"), ("关键词（BM25）", "lexical"), ("语义（向量）", "semantic"))
FAILURE = "抱歉，处理这个请求时出了问题，请稍后再试。"
# System fonts only: Chinese glyphs first, and no web-font download (the app may run offline).
THEME = gr.themes.Soft(
    font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

# The result cards are plain HTML; a click (or Enter) on one tells the server which was chosen.
_RESULTS_JS = """
const choose = (item) => {
  element.querySelectorAll('.rag-selected').forEach((old) => old.classList.remove('rag-selected'));
  item.classList.add('rag-selected');
  trigger('click', {index: Number(item.dataset.index)});
};
element.addEventListener('click', (event) => {
  const item = event.target.closest('[data-index]');
  if (item) choose(item);
});
element.addEventListener('keydown', (event) => {
  const item = event.target.closest('[data-index]');
  if (item && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); choose(item); }
});
"""
# Bring the marked passage into view inside the article panel.
_ARTICLE_JS = """
watch('value', () => {
  const marked = element.querySelector('.rag-shaded');
  const box = element.closest('.rag-article-view');
  if (marked && box) {
    box.scrollTop += marked.getBoundingClientRect().top - box.getBoundingClientRect().top - 64;
  }
  // On a phone the panel sits below the results: bring it on screen.
  const top = box ? box.getBoundingClientRect().top : 0;
  if (box && (top < 0 || top > window.innerHeight * 0.6)) {
    box.scrollIntoView({block: 'start', behavior: 'smooth'});
  }
});
"""
# Long replies: show the newest question and the top of its answer, not the last passage.
_SHOW_REPLY_JS = """
() => setTimeout(() => {
  const box = document.querySelector('#chat .bubble-wrap');
  const asked = box ? box.querySelectorAll('.user-row') : [];
  if (!asked.length) return;
  const last = asked[asked.length - 1];
  box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}, 150)
"""
# Gradio labels each chat message with its raw HTML (aria-label="bot's message: <div class=…>"),
# which a screen reader reads out as markup. Dropping the label lets it read the message itself.
_ACCESSIBLE_CHAT_JS = """
() => {
  const unlabel = () => document
    .querySelectorAll('#chat [aria-label*="s message: "]')
    .forEach((message) => message.removeAttribute('aria-label'));
  new MutationObserver(unlabel).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'],
  });
  unlabel();
}
"""
APP_CSS = """
.rag-chat .message { max-width: 100% !important; }
.rag-chat .top-panel { display: none !important; }  /* its bin icon covers messages; 清空对话 clears */
.rag-chat .message-row.user-row { padding: 14px 16px !important; }
.rag-article-view { max-height: 78vh; overflow-y: auto; }
.rag-results-view { max-height: 78vh; overflow-y: auto; }
"""


class App:
    """Handlers behind the UI and the API; one per process, shared by all sessions."""

    def __init__(self, service: QAService, config: Config, feedback: FeedbackStore) -> None:
        self.service = service
        self.config = config
        self.feedback = feedback
        self.followups = FollowUpResolver(
            service.pipeline.tokenizer.user_dict_lines, max_chars=config.followup_max_chars
        )
        self._library_of: tuple[Pipeline, dict[str, Document], Counter[str]] | None = None
        self._export_root = tempfile.TemporaryDirectory(prefix="rag-export-")  # gone at exit
        self.export_root = Path(self._export_root.name)
        self._exports: deque[Path] = deque()
        self._exports_lock = threading.Lock()

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline serving now; a rebuild swaps it, so a handler reads it once."""
        return self.service.pipeline

    @property
    def documents(self) -> dict[str, Document]:
        return self._library()[0]

    @property
    def passage_counts(self) -> Counter[str]:
        return self._library()[1]

    def _library(self) -> tuple[dict[str, Document], Counter[str]]:
        """Documents and passage counts of the serving index, recomputed after a rebuild."""
        pipeline = self.pipeline
        cached = self._library_of
        if cached is None or cached[0] is not pipeline:
            documents = {document.doc_id: document for document in pipeline.documents}
            counts = Counter(passage.doc_id for passage in pipeline.index.live_passages)
            cached = self._library_of = (pipeline, documents, counts)
        return cached[1], cached[2]

    def rebuild(self) -> tuple[str, str]:
        """Rebuild the index from the corpus while answering; returns (status line, library HTML)."""
        outcome = self.service.rebuild()
        return render.notice_html(outcome.message), self.library()

    def library(self) -> str:
        documents, counts = self._library()
        return render.library_html(list(documents.values()), counts)

    def status(self) -> str:
        status = self.service.status()
        built = status.built_at[:16].replace("T", " ")
        place = "Milvus" if self.config.milvus_uri is not None else "本地索引"
        line = f"索引建于 {built} (UTC)，{status.documents} 篇文章，{status.passages} 个段落，存于{place}。"
        try:
            if self.service.corpus_changed():
                line += " 资料已有改动，可以重建索引。"
        except RagError as error:
            line += f" 资料目前无法读取：{error}"
        if status.last_error:
            line += f" 上次重建失败：{status.last_error}"
        return render.notice_html(line)

    def warm_up(self) -> None:
        """Load the models and dictionaries now so the first visitor does not wait."""
        self.pipeline.warm_up()
        self.followups.warm_up()

    # 问答 ------------------------------------------------------------------------------
    def chat(
        self, message: str, history: list[dict[str, Any]], session: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """Answer one chat message; returns the cleared input box, the chat and the session."""
        shown = render.user_html(message, self.config.max_question_chars)
        history = [*history, {"role": "user", "content": shown}]
        session = {**session, "turns": dict(session.get("turns", {}))}
        try:
            followup = self.followups.resolve(message, session.get("previous"))
            result = self.pipeline.ask(followup.rewritten)
        except RagError as error:
            history.append({"role": "assistant", "content": render.notice_html(str(error))})
            return "", history, session
        except Exception:
            log.exception("ask failed for %r", message)
            history.append({"role": "assistant", "content": render.notice_html(FAILURE)})
            return "", history, session
        notes = [f"按上文理解为：{followup.rewritten}"] if followup.changed else []
        terms = query_terms(result.question, self.pipeline.tokenizer)  # capped, unlike message
        reply = render.reply_html(
            result, self.documents, terms, self.config.context_paragraphs, notes
        )
        history.append({"role": "assistant", "content": reply})
        session["previous"] = result.question
        session["turns"][len(history) - 1] = {
            "question": message[: self.config.max_question_chars],
            "asked": result.question,
            "answer": answer_record(result.answer),
            "passages": [
                cited_hit_record(hit, citation)
                for hit, citation in zip(result.hits, result.citations, strict=True)
            ],
        }
        return "", history, session

    def vote(self, session: dict[str, Any], like: gr.LikeData) -> None:
        """Store a thumbs up/down on an answer (questions and notices are not votable)."""
        index = like.index if isinstance(like.index, int) else like.index[0]
        turn = session.get("turns", {}).get(index)
        if turn is None or not isinstance(like.liked, bool):
            return
        self.feedback.add(vote="up" if like.liked else "down", **turn)
        gr.Info("谢谢反馈！")

    # 检索 ------------------------------------------------------------------------------
    def _ranked(
        self, query: str, k: int, mode: str, filters: SearchFilters
    ) -> tuple[list[Hit], list[Citation]]:
        hits = self.pipeline.search(query, k=k, filters=filters, mode=mode)
        return hits, list(self.pipeline.citations(hits, query))

    def run_search(
        self,
        query: str,
        k: float,
        mode: str,
        doc_ids: Sequence[str] | None,
        newspapers: Sequence[str] | None,
        date_from: str | None,
        date_to: str | None,
    ) -> tuple[str, dict[str, Any], str, Any, Any]:
        """Run a staff search; returns results HTML, the search (query and hits) for selecting
        a result, the article panel and the two download buttons (hidden with no results)."""
        hidden = gr.update(value=None, visible=False)
        nothing: dict[str, Any] = {"query": query, "hits": []}
        try:
            filters = SearchFilters(
                doc_ids=tuple(doc_ids or ()),
                newspapers=tuple(newspapers or ()),
                date_from=_date(date_from, "起始日期"),
                date_to=_date(date_to, "截止日期"),
            )
            hits, citations = self._ranked(query, int(k), mode, filters)
        except RagError as error:
            return render.notice_html(str(error)), nothing, "", hidden, hidden
        except Exception:
            log.exception("search failed for %r", query)
            return render.notice_html(FAILURE), nothing, "", hidden, hidden
        terms = query_terms(query, self.pipeline.tokenizer)
        html = render.search_results_html(hits, citations, terms)
        if not hits:
            return html, nothing, "", hidden, hidden
        rows = [cited_hit_record(hit, citation) for hit, citation in zip(hits, citations, strict=True)]
        settings = {
            "mode": mode,
            "k": int(k),
            "doc_ids": list(filters.doc_ids),
            "newspapers": list(filters.newspapers),
            "date_from": filters.date_from,
            "date_to": filters.date_to,
        }
        csv_path, json_path = write_exports(rows, query, settings, self._export_directory())
        return (
            html,
            {"query": query, "hits": hits},
            '<p class="rag-notice">点击一条结果，在这里查看全文。</p>',
            gr.update(value=str(csv_path), visible=True),
            gr.update(value=str(json_path), visible=True),
        )

    def _export_directory(self) -> Path:
        """A fresh folder for one search's export files; the oldest are removed past
        ``app_export_folders`` (Gradio has copied them to its own cache by then)."""
        directory = Path(tempfile.mkdtemp(dir=self.export_root))
        with self._exports_lock:
            self._exports.append(directory)
            while len(self._exports) > self.config.app_export_folders:
                shutil.rmtree(self._exports.popleft(), ignore_errors=True)
        return directory

    def show_hit(self, search: dict[str, Any], event: gr.EventData) -> str:
        """The whole article of the chosen result, with that passage shaded."""
        hits: list[Hit] = search.get("hits", [])
        index = getattr(event, "index", None)
        if not isinstance(index, int) or not 0 <= index < len(hits):
            return ""
        passage = hits[index].passage
        if passage.doc_id not in self.documents:
            return render.notice_html("索引已经重建，这篇文章不在新索引里，请重新检索。")
        return render.article_html(
            self.documents[passage.doc_id],
            self.passage_counts[passage.doc_id],
            marked=(passage.start, passage.end),
            terms=query_terms(search["query"], self.pipeline.tokenizer),
        )

    # 资料 ------------------------------------------------------------------------------
    def show_article(self, doc_id: str | None) -> str:
        if not doc_id or doc_id not in self.documents:
            return ""
        return render.article_html(self.documents[doc_id], self.passage_counts[doc_id])

    # API -------------------------------------------------------------------------------
    def ask_api(self, question: str, previous: str = "", k: int = 5) -> dict[str, Any]:
        """Answer a question: the answer span (or null), citations and passages.

        ``previous`` is the question asked before, for a follow-up such as 那吉林市呢？
        """
        followup = _api_call(lambda: self.followups.resolve(question, previous or None))
        result = _api_call(lambda: self.pipeline.ask(followup.rewritten, k=k))
        record = result_record(result)
        record["question"] = question
        return record

    def search_api(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        doc_ids: list[str] | None = None,
        newspapers: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """Ranked passages with scores and citations; ``mode`` is hybrid, lexical or semantic."""
        filters = _api_call(
            lambda: SearchFilters(
                tuple(doc_ids or ()),
                tuple(newspapers or ()),
                _date(date_from, "date_from"),
                _date(date_to, "date_to"),
            )
        )
        hits, citations = _api_call(lambda: self._ranked(query, k, mode, filters))
        return [cited_hit_record(hit, citation) for hit, citation in zip(hits, citations, strict=True)]


def _date(value: str | None, label: str) -> str | None:
    """An ISO date from a date box ("" or None when not set)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise RagError(f"{label}应为 年-月-日 格式，例如 2026-01-30。") from None


def _api_call(call: Callable[[], Any]) -> Any:
    """Run ``call``; a library error reaches the API client as its message, not a traceback."""
    try:
        return call()
    except RagError as error:
        raise gr.Error(str(error), print_exception=False) from None
    except ValueError as error:
        raise gr.Error(str(error), print_exception=False) from None


def build_ui(app: App) -> gr.Blocks:
    """The three tabs and the two named API endpoints, wired to ``app``."""
    documents = list(app.documents.values())
    article_choices = [(document.title, document.doc_id) for document in documents]
    newspapers = sorted({document.newspaper for document in documents if document.newspaper})
    # Gradio keeps served files (CSV/JSON exports) in its cache: drop them after a day.
    with gr.Blocks(title=TITLE, delete_cache=(3600, 86400)) as demo:
        gr.Markdown(f"## {TITLE}\n根据《吉林日报》等报道回答问题，每个答案都注明出处。")
        with gr.Tabs():
            with gr.Tab("问答", id="qa"):
                chatbot = gr.Chatbot(
                    label="对话",
                    show_label=False,
                    elem_classes="rag-chat",
                    elem_id="chat",
                    height="62vh",
                    min_height=320,
                    render_markdown=False,
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=[],
                    autoscroll=False,
                    layout="panel",
                    placeholder="请在下方输入问题，或点击一个示例问题。答案都摘自原文并注明出处。",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="输入问题，可接着追问，例如：那辽源呢？",
                        max_lines=4,
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                    )
                    send = gr.Button("提问", variant="primary", scale=1, min_width=72)
                with gr.Row():
                    examples = gr.Dataset(
                        label="示例问题（点击即问）",
                        components=[question],
                        samples=[[example] for example in EXAMPLES],
                        elem_id="examples",
                    )
                clear = gr.Button("清空对话", size="sm", variant="secondary")
                session = gr.State({})
                gr.Markdown("每个回答下方可点 👍 / 👎 反馈，帮助我们改进。")

            with gr.Tab("检索", id="search"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        query = gr.Textbox(
                            label="检索词或句子", placeholder="例如：圈内通办", elem_id="query"
                        )
                        k = gr.Slider(
                            1, app.config.app_max_search_results, value=10, step=1, label="结果数"
                        )
                        mode = gr.Radio(list(MODES), value="hybrid", label="排序方式")
                        with gr.Accordion("筛选", open=False):
                            doc_filter = gr.Dropdown(article_choices, multiselect=True, label="文章")
                            paper_filter = gr.Dropdown(newspapers, multiselect=True, label="报纸")
                            date_from = gr.Textbox(label="起始日期", placeholder="2025-01-01")
                            date_to = gr.Textbox(label="截止日期", placeholder="2026-12-31")
                        search = gr.Button("检索", variant="primary", elem_id="search-button")
                        with gr.Row():
                            csv_file = gr.DownloadButton("导出 CSV", visible=False, size="sm")
                            json_file = gr.DownloadButton("导出 JSON", visible=False, size="sm")
                    with gr.Column(scale=2, min_width=300):
                        results = gr.HTML(
                            '<p class="rag-notice">输入检索词后点击“检索”。</p>',
                            js_on_load=_RESULTS_JS,
                            elem_classes="rag-results-view",
                            elem_id="results",
                        )
                    with gr.Column(scale=2, min_width=300):
                        hit_article = gr.HTML(
                            "",
                            js_on_load=_ARTICLE_JS,
                            elem_classes="rag-article-view",
                            elem_id="hit-article",
                        )
                search_state = gr.State({"query": "", "hits": []})

            with gr.Tab("资料", id="library"):
                with gr.Row():
                    index_status = gr.HTML(app.status(), js_on_load=None)
                    rebuild = gr.Button("重建索引", size="sm", scale=0, min_width=120)
                library = gr.HTML(app.library(), js_on_load=None)
                first = documents[0].doc_id if documents else None
                article_choice = gr.Dropdown(article_choices, label="选择文章阅读全文", value=first)
                article = gr.HTML(app.show_article(first), js_on_load=None, elem_id="article")

        chat_inputs = [question, chatbot, session]
        chat_outputs = [question, chatbot, session]
        for trigger in (send.click, question.submit):
            trigger(app.chat, chat_inputs, chat_outputs, api_visibility="private").then(
                None, js=_SHOW_REPLY_JS, api_visibility="private"
            )
        examples.click(
            lambda sample, history, state: app.chat(sample[0], history, state),
            [examples, chatbot, session],
            chat_outputs,
            api_visibility="private",
        ).then(None, js=_SHOW_REPLY_JS, api_visibility="private")
        clear.click(lambda: ("", [], {}), None, chat_outputs, api_visibility="private", queue=False)
        chatbot.like(app.vote, [session], None, api_visibility="private")

        search_inputs = [query, k, mode, doc_filter, paper_filter, date_from, date_to]
        search_outputs = [results, search_state, hit_article, csv_file, json_file]
        for trigger in (search.click, query.submit):
            trigger(app.run_search, search_inputs, search_outputs, api_visibility="private")
        results.click(app.show_hit, search_state, hit_article, api_visibility="private")
        article_choice.change(app.show_article, article_choice, article, api_visibility="private")
        rebuild.click(app.rebuild, None, [index_status, library], api_visibility="private")

        gr.api(app.ask_api, api_name="ask")
        gr.api(app.search_api, api_name="search")
    return demo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the question-answering web app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index", type=Path, default=Path("index"), help="index directory")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="corpus folder or JSONL")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--milvus", metavar="URI", help="serve the index kept in Milvus instead of --index: a "
                        "Milvus Lite file (index/milvus.db) or http://host:19530 (token in MILVUS_TOKEN)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    config = Config(
        corpus_dir=args.corpus,
        index_dir=args.index,
        milvus_uri=args.milvus,
        milvus_token=os.environ.get("MILVUS_TOKEN", ""),
    )
    # Before the embedder loads (rag.embedding.embedders reads it then): requests run side by side, so one
    # thread each beats teams of threads contending for two cores (benchmarks/load.py: 38.8 →
    # 45.4 requests/s). An operator's own OMP_NUM_THREADS wins.
    os.environ.setdefault("OMP_NUM_THREADS", str(config.app_threads_per_request))
    # Read when the queue is made. Gradio recomputes its queue statistics (a pandas table of the
    # last 10,000 events) after every request unless told otherwise: 17 % of the server's time
    # under load, and growing with uptime.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(config.app_queue_stats_every))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", str(config.app_queue_stats_events))
    try:
        service = QAService.open(args.corpus, args.index, config)
    except (RagError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app = App(service, config, FeedbackStore(config.feedback_path))
    app.warm_up()
    service.watch(config.app_index_watch_seconds)
    # Service managers stop the app with SIGTERM: exit normally, so temporary exports are removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    demo = build_ui(app)
    demo.queue(
        default_concurrency_limit=config.app_concurrency_limit,
        max_size=config.app_queue_max_size,
        status_update_rate=config.app_queue_status_seconds,
    )
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        css=render.STYLESHEET + APP_CSS,
        js=_ACCESSIBLE_CHAT_JS,
        theme=THEME,
        footer_links=["api"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

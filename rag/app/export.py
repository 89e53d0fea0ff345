"""Export of search results for staff: ``write_exports(rows, query, settings, directory)``.

Rows are ``rag.pipeline.serialize.cited_hit_record`` dictionaries; they become a CSV (columns in
``CSV_FIELDS`` order) and a JSON file with the query and the settings that produced them.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


# Column order of the CSV export: the citation a person reads first, then where it points.
CSV_FIELDS = (
    "rank",
    "citation",
    "score",
    "lexical",
    "dense",
    "text",
    "title",
    "newspaper",
    "date",
    "section",
    "paragraph",
    "source",
    "doc_id",
    "passage_id",
    "start",
    "end",
)


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV text with a header, columns in ``CSV_FIELDS`` order; None becomes empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()


def to_json(rows: Sequence[Mapping[str, Any]], query: str, settings: Mapping[str, Any]) -> str:
    """``{"query", "settings", "results"}`` as indented UTF-8 JSON (Chinese left readable)."""
    document = {"query": query, "settings": dict(settings), "results": [dict(row) for row in rows]}
    return json.dumps(document, ensure_ascii=False, indent=2)


def write_exports(
    rows: Sequence[Mapping[str, Any]],
    query: str,
    settings: Mapping[str, Any],
    directory: Path,
) -> tuple[Path, Path]:
    """Write ``检索结果.csv`` and ``检索结果.json`` into ``directory``; return their paths.

    The CSV starts with a byte-order mark so that spreadsheet programs read it as UTF-8.
    """
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / "检索结果.csv"
    json_path = directory / "检索结果.json"
    csv_path.write_text(to_csv(rows), encoding="utf-8-sig", newline="")
    json_path.write_text(to_json(rows, query, settings), encoding="utf-8")
    return csv_path, json_path

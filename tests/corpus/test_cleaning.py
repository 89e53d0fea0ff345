import re
from collections import defaultdict
from pathlib import Path

import pytest

from rag.corpus.cleaning import CleanedArticle, clean_article

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))
SEEDS = [path for path in SEEDS if path.name != "userdict.txt"]


def _blocks(article: CleanedArticle) -> list[tuple[str, str]]:
    return [(p.kind, article.text[p.start : p.end]) for p in article.paragraphs]


def _texts(article: CleanedArticle, kind: str) -> list[str]:
    return [text for block_kind, text in _blocks(article) if block_kind == kind]


def _reasons(article: CleanedArticle) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for removal in article.removed:
        found[removal.reason].append(removal.text)
    return found


# --- hard wraps -------------------------------------------------------------------------------


def test_a_sentence_wrapped_over_lines_becomes_one_paragraph():
    raw = "一条条高铁勘察路线，勾勒出的是一个区域协调发展的“同心\n圆”。\n\n下一段在这里。"
    article = clean_article(raw)
    assert _texts(article, "body") == [
        "一条条高铁勘察路线，勾勒出的是一个区域协调发展的“同心圆”。",
        "下一段在这里。",
    ]


def test_a_wrap_continues_after_one_blank_line():
    raw = "对于许多辽源市民而言，“在家门口坐上高铁”是期盼\n\n已久的梦想。长期单一的交通方式，制约着辽源与外界联\n\n通的效率。"
    assert _texts(clean_article(raw), "body") == [
        "对于许多辽源市民而言，“在家门口坐上高铁”是期盼已久的梦想。长期单一的交通方式，制约着辽源与外界联通的效率。"
    ]


def test_finished_lines_stay_separate_paragraphs():
    raw = "在龙山辽河两岸，活力辽源正书写着新时代的答卷。\n如今的辽源，民生改善与城市进阶相辅相成。"
    assert len(_texts(clean_article(raw), "body")) == 2


def test_a_heading_is_not_glued_to_an_unfinished_line_or_to_the_next_paragraph():
    raw = (
        "辽源市将交通一体化作为融入都市圈的先行领域。届时，真正实现“高铁\n\n"
        "强链 构建“梯次配套”产业链，从“单打独斗”到“协同作战”\n\n"
        "融入都市圈，不是简单的“傍大款”，而是要找准定位。"
    )
    article = clean_article(raw)
    assert _blocks(article) == [
        ("body", "辽源市将交通一体化作为融入都市圈的先行领域。届时，真正实现“高铁"),
        ("heading", "强链 构建“梯次配套”产业链，从“单打独斗”到“协同作战”"),
        ("body", "融入都市圈，不是简单的“傍大款”，而是要找准定位。"),
    ]


def test_a_two_line_heading_is_one_heading_and_the_wrapped_body_below_is_joined():
    raw = "高铁为脉\n“强链”兴市谱新章\n\n对于许多辽源市民而言，“在家门口坐上高铁”是期盼\n\n已久的梦想。"
    article = clean_article(raw)
    assert _blocks(article) == [
        ("heading", "高铁为脉 “强链”兴市谱新章"),
        ("body", "对于许多辽源市民而言，“在家门口坐上高铁”是期盼已久的梦想。"),
    ]


def test_a_wrap_never_crosses_a_wide_gap():
    raw = (
        "现在提到辽源，朋友都问是不是那个\n\n\n\n"
        "辽源市政务服务中心工作人员为群众高效办理业务。\n\n\n\n"
        "破壁 织密“同城化”交通网\n\n"
        "交通，是城市的血脉。"
    )
    article = clean_article(raw)
    assert _texts(article, "caption") == ["辽源市政务服务中心工作人员为群众高效办理业务。"]
    assert "现在提到辽源，朋友都问是不是那个" in _texts(article, "body")


def test_a_line_of_bare_punctuation_joins_the_paragraph_before():
    raw = "一项项温暖人心的便民举措，让群众笑脸常挂脸庞；\n……\n在龙山辽河两岸，活力辽源正书写着答卷。"
    assert _texts(clean_article(raw), "body")[0] == "一项项温暖人心的便民举措，让群众笑脸常挂脸庞；……"


# --- doubled text layers ----------------------------------------------------------------------


def test_text_doubled_by_two_text_layers_is_undoubled():
    raw = "辽源市政务服务中心。\n\n龙首山龙首山。。（（辽源市龙山区委宣传部提供辽源市龙山区委宣传部提供））"
    article = clean_article(raw)
    assert "龙首山。" in _texts(article, "caption")
    assert "龙首山龙首山" not in article.text
    reasons = _reasons(article)
    assert reasons["duplicated-layer"] == ["龙首山。（辽源市龙山区委宣传部提供）"]
    assert reasons["photo-credit"] == ["（辽源市龙山区委宣传部提供）"]


def test_a_doubled_line_without_punctuation_is_undoubled():
    article = clean_article("辽源市袜业生产场景。辽源市袜业生产场景。")
    assert article.text == "辽源市袜业生产场景。"


@pytest.mark.parametrize(
    "prose",
    [
        "长春至大连铁海联运实现“天天班”，大家常常说起。",
        "一个个轰鸣作响的智能生产车间，一条条高铁勘察路线，“一处处”人气鼎盛的地标。",
        "谋划实施一批项目……一系列项目接连落地——成效明显。",
        "看看，看看，这里的变化多大啊！！",
        "让“红利”惠及百姓，人人都是营商环境，家家户户用上天然气。",
    ],
)
def test_legitimate_repeats_in_prose_are_kept(prose):
    article = clean_article(prose)
    assert article.text == prose
    assert not article.removed


# --- page furniture ---------------------------------------------------------------------------


def test_page_furniture_is_removed_and_kept_as_metadata():
    raw = (
        "两会特刊\n\n"
        "2026年1月30日 星期五 编辑 陈庆松 张沈月 版式设计 边大勇\n\n"
        "# 聚焦进位突破 共绘振兴蓝图\n\n"
        "吉林日报\n\n"
        "JILIN DAILY\n\n"
        "03\n\n"
        "长春现代化都市圈建设取得了哪些成绩？这是代表委员十分关注的话题。"
    )
    article = clean_article(raw)
    assert _blocks(article) == [
        ("heading", "聚焦进位突破 共绘振兴蓝图"),
        ("body", "长春现代化都市圈建设取得了哪些成绩？这是代表委员十分关注的话题。"),
        ("credits", "编辑 陈庆松 张沈月 版式设计 边大勇"),  # the editor line, without the date
    ]
    assert article.date == "2026-01-30"
    assert article.page == "03版 · 两会特刊"
    assert article.newspaper == "吉林日报"
    assert len(_reasons(article)["page-furniture"]) == 5
    assert "#" not in article.text


def test_bold_markdown_markers_are_stripped():
    raw = "**重点**工作是推进长春现代化都市圈建设。"
    assert clean_article(raw).text == "重点工作是推进长春现代化都市圈建设。"


def test_a_bilingual_logo_is_furniture():
    raw = (
        "四平市将深度嵌入都市圈汽车产业配套服务链。\n\n"
        "吉林省人民政府新闻办公室\n\n"
        "INFORMATION OFFICE OF JILIN PROVINCIAL PEOPLE'S GOVERNMENT\n\n\n\n"
        "长春现代化都市圈建设新闻发布会现场。\n\n"
        "(本版图片均为本报记者闫璐摄)"
    )
    article = clean_article(raw)
    assert _blocks(article) == [
        ("body", "四平市将深度嵌入都市圈汽车产业配套服务链。"),
        ("caption", "长春现代化都市圈建设新闻发布会现场。"),
        ("credits", "(本版图片均为本报记者闫璐摄)"),
    ]
    reasons = _reasons(article)
    assert reasons["page-furniture"][0] == "吉林省人民政府新闻办公室"
    assert reasons["photo-credit"] == ["(本版图片均为本报记者闫璐摄)"]


def test_a_dash_framed_label_and_a_repeated_pull_quote_are_removed():
    quote = "要统筹区域协调发展，推进长春现代化都市圈建设。"
    raw = f"习近平总书记强调：“{quote}”\n\n——核心阅读——\n\n{quote}\n\n2026年新年伊始，众多项目加速推进。"
    article = clean_article(raw)
    assert _texts(article, "body") == [f"习近平总书记强调：“{quote}”", "2026年新年伊始，众多项目加速推进。"]
    assert _reasons(article)["page-furniture"] == ["——核心阅读——"]
    assert _reasons(article)["duplicate-paragraph"] == [quote]


# --- captions, credits, bylines ---------------------------------------------------------------


def test_captions_after_wide_gaps_are_flagged_and_credits_removed():
    raw = (
        "辽源已经成为长春汽车产业链上的重要配套基地。\n\n\n\n"
        "辽源市北方林业园区生产车间。\n\n"
        "吉林启星铝业有限公司生产车间内，工人们正加紧赶制生产订单。\n\n\n\n"
        "本版图片为资料图片，由姜雨佳、辽源市委宣传部提供\n\n"
        "特色农产品加工是辽源辨识度鲜明的优势产业。"
    )
    article = clean_article(raw)
    assert _blocks(article) == [
        ("body", "辽源已经成为长春汽车产业链上的重要配套基地。"),
        ("caption", "辽源市北方林业园区生产车间。"),
        ("caption", "吉林启星铝业有限公司生产车间内，工人们正加紧赶制生产订单。"),
        ("body", "特色农产品加工是辽源辨识度鲜明的优势产业。"),
        ("credits", "本版图片为资料图片，由姜雨佳、辽源市委宣传部提供"),
    ]
    assert _reasons(article)["photo-credit"] == ["本版图片为资料图片，由姜雨佳、辽源市委宣传部提供"]


def test_a_caption_with_its_credit_on_the_same_line():
    raw = "我们有理由相信，都市圈必将注入源源不断的动力。\n\n\n\n长春新区北湖未来科学城。本报记者 潘硕 摄"
    article = clean_article(raw)
    assert _texts(article, "caption") == ["长春新区北湖未来科学城。"]
    assert _reasons(article)["photo-credit"] == ["本报记者 潘硕 摄"]
    assert article.authors == ()


def test_credit_lines_close_the_text_in_their_order_once_each():
    raw = (
        "2026年1月30日 星期五 责任编辑：陈庆松\n\n"
        "本报记者 陶连飞\n\n"
        "长春现代化都市圈建设取得新进展。\n\n\n\n"
        "长春新区北湖未来科学城。本报记者 潘硕 摄\n\n\n\n"
        "净月潭景区。本报记者 潘硕 摄"
    )
    article = clean_article(raw)
    assert _texts(article, "credits") == ["责任编辑：陈庆松", "本报记者 陶连飞", "本报记者 潘硕 摄"]
    assert article.body == "长春现代化都市圈建设取得新进展。\n长春新区北湖未来科学城。\n净月潭景区。"
    assert article.text == article.body + "\n责任编辑：陈庆松\n本报记者 陶连飞\n本报记者 潘硕 摄"


def test_credits_alone_are_no_article():
    article = clean_article("本报记者 陶连飞\n\n(本版图片均为本报记者闫璐摄)")
    assert article.text == "" and article.paragraphs == ()
    assert article.authors == ("陶连飞",)


def test_captions_marked_with_photo_arrows():
    raw = "一个开放协同的长春都市圈正稳步成长。\n\n▲亿航EH216-S无人驾驶载人航空器在净月潭试飞。\n\n◀一汽红旗繁荣工厂俯瞰图。"
    article = clean_article(raw)
    assert _texts(article, "caption") == ["亿航EH216-S无人驾驶载人航空器在净月潭试飞。", "一汽红旗繁荣工厂俯瞰图。"]


def test_a_short_sentence_between_body_paragraphs_stays_body():
    raw = "当区域协同发展的战略深入推进，辽源正以昂扬之姿融入都市圈。\n\n这又是一场关乎格局的重塑。\n\n围绕核心目标，辽源全面发力。"
    assert not _texts(clean_article(raw), "caption")


def test_byline_goes_to_authors_and_title_block_above_it_to_the_title():
    raw = (
        "以实干实绩展现辽源新作为\n\n"
        "——从建设长春现代化都市圈洞察特色产业集群发展\n\n"
        "本报记者 赵蓓蓓 庞智源\n\n"
        "这是时代的号角，随东辽水激荡回响。"
    )
    article = clean_article(raw)
    assert article.authors == ("赵蓓蓓", "庞智源")
    assert article.title == "以实干实绩展现辽源新作为"
    assert article.subtitle == "从建设长春现代化都市圈洞察特色产业集群发展"
    assert _blocks(article) == [("body", "这是时代的号角，随东辽水激荡回响。"), ("credits", "本报记者 赵蓓蓓 庞智源")]
    removals = [(r.line, r.reason) for r in article.removed]
    assert removals == [(1, "title"), (3, "title"), (5, "byline")]


def test_a_title_line_ending_in_a_colon_runs_into_the_next():
    raw = "这座城市书写着时代篇章。\n\n辽源市：\n\n聚力锻造强劲内生动力\n本报记者 赵蓓蓓 庞智源 姜雨佳\n\n正文第一段。"
    article = clean_article(raw)
    assert article.title == "辽源市：聚力锻造强劲内生动力"
    assert article.authors == ("赵蓓蓓", "庞智源", "姜雨佳")


# --- column cuts and orphans ------------------------------------------------------------------


def test_halves_of_a_cut_column_are_rejoined_when_only_they_fit():
    raw = (
        "在林业纺织产业领域，辽源推动本土自主品牌转型。\n\n"
        "部达到III类及以上水体标准，清澈的河水见证着辽源治水的决心。\n\n"
        "这只是其中的一个缩影。\n\n"
        "深耕 筑牢生态屏障，从“源头治理”到“价值转化”\n\n"
        "一系列项目接连落地，2025年监测数据显示，东辽河3个国考断面全\n\n"
        "共享 绘就“民生幸福”同心圆，让“红利”惠及百姓\n\n"
        "同城化发展的核心，是让群众共享发展成果。"
    )
    article = clean_article(raw)
    joined = "一系列项目接连落地，2025年监测数据显示，东辽河3个国考断面全部达到III类及以上水体标准，清澈的河水见证着辽源治水的决心。"
    assert joined in _texts(article, "body")
    assert article.text.count("部达到III类") == 1
    section = next(p.section for p in article.paragraphs if article.text[p.start : p.end] == joined)
    assert section == "深耕 筑牢生态屏障，从“源头治理”到“价值转化”"


def test_a_chain_of_column_cuts_is_rejoined_in_full():
    raw = (
        "部达到III类标准，当地人说“这\n\n\n\n"
        "这又是一场关乎格局的重塑。\n\n\n\n"
        "监测数据显示，东辽河3个国考断面全\n\n\n\n"
        "这只是其中的一个缩影。\n\n\n\n"
        "是我们的骄傲”。"
    )
    article = clean_article(raw)
    assert "监测数据显示，东辽河3个国考断面全部达到III类标准，当地人说“这是我们的骄傲”。" in _texts(
        article, "body"
    )
    assert not article.removed


def test_ambiguous_column_cuts_are_left_alone_and_a_short_orphan_is_removed():
    # Two paragraphs end inside a quote and two start by closing one: no pairing is certain.
    raw = (
        "“以前提到辽源，就知道是煤城；现在提到辽源，朋友都问是不是那个\n\n\n\n"
        "这又是一场关乎格局的重塑。\n\n"
        "公文化”。\n\n"
        "届时，辽源到长春的时空距离将被压缩至30分钟，真正实现“高铁\n\n\n\n"
        "这只是其中的一个缩影。\n\n"
        "有欢乐谷、有滑雪场的地方。”一位从长春来辽源投资的客商笑着说。"
    )
    article = clean_article(raw)
    assert _texts(article, "body") == [
        "“以前提到辽源，就知道是煤城；现在提到辽源，朋友都问是不是那个",
        "这又是一场关乎格局的重塑。",
        "届时，辽源到长春的时空距离将被压缩至30分钟，真正实现“高铁",
        "这只是其中的一个缩影。",
        "有欢乐谷、有滑雪场的地方。”一位从长春来辽源投资的客商笑着说。",
    ]
    assert _reasons(article)["orphan-fragment"] == ["公文化”。"]


# --- headings and sections --------------------------------------------------------------------


def test_speaker_and_bold_title_form_one_heading_that_governs_the_section():
    raw = (
        "省发展改革委主任 李平：  \n"
        "**全面统筹、高位引领  \n"
        "都市圈建设各项工作**\n\n\n\n"
        "省委、省政府把建设长春现代化都市圈作为吉林发展的“重中之重”。\n\n"
        "长春市长 顾刚：  \n"
        "**勇担使命  \n"
        "勇挑重担**\n\n"
        "都市圈建设是赋予吉林省的重大历史使命。"
    )
    article = clean_article(raw)
    first = "省发展改革委主任 李平：全面统筹、高位引领 都市圈建设各项工作"
    second = "长春市长 顾刚：勇担使命 勇挑重担"
    assert [(p.kind, p.section) for p in article.paragraphs] == [
        ("heading", first),
        ("body", first),
        ("heading", second),
        ("body", second),
    ]
    assert _texts(article, "heading") == [first, second]


def test_markdown_headings_and_a_heading_with_nothing_under_it():
    raw = (
        "# 高质量发展的长春实践\n\n写在前面\n\n当时间的指针划过一千多个日夜。\n\n"
        "实事\n\n## 长春都市圈『强心扩容』\n\n2025年意义非凡。\n\n\n\n# 振兴突破正当时"
    )
    article = clean_article(raw)
    assert _blocks(article) == [
        ("heading", "高质量发展的长春实践"),
        ("heading", "写在前面"),
        ("body", "当时间的指针划过一千多个日夜。"),
        ("heading", "长春都市圈『强心扩容』"),
        ("body", "2025年意义非凡。"),
    ]
    assert _reasons(article) == {"orphan-fragment": ["实事"], "page-furniture": ["振兴突破正当时"]}
    assert article.paragraphs[2].section == "写在前面"


def test_empty_input_gives_an_empty_article():
    article = clean_article("\n\n  \n")
    assert (article.text, article.paragraphs, article.removed) == ("", (), ())


# --- the seed articles ------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _without_subsequence(text: str, removed: str) -> str:
    """``text`` minus the characters of ``removed`` taken left to right (one doubled layer)."""
    kept, position = [], 0
    for char in text:
        if position < len(removed) and char == removed[position]:
            position += 1
        else:
            kept.append(char)
    return "".join(kept)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.stem)
def test_every_raw_line_of_a_seed_is_in_the_text_or_in_removed(seed):
    raw = seed.read_text(encoding="utf-8")
    article = clean_article(raw)
    body = _squeeze(article.text)
    by_line: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for removal in article.removed:
        assert removal.text.strip(), removal
        by_line[removal.line].append((removal.reason, _squeeze(removal.text)))
    for number, line in enumerate(raw.splitlines(), start=1):
        rest = _squeeze(re.sub(r"^\s*#+\s", "", line).replace("**", "")).lstrip("▲◀")
        for reason, removed in by_line[number]:
            if reason == "duplicated-layer":
                rest = _without_subsequence(rest, removed)
            else:
                assert removed in rest, (number, reason, removed)
                rest = rest.replace(removed, "", 1)
        assert rest in body, (number, line)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.stem)
def test_seed_paragraphs_are_exact_nonempty_slices(seed):
    article = clean_article(seed.read_text(encoding="utf-8"))
    assert "\n".join(text for _, text in _blocks(article)) == article.text
    for paragraph in article.paragraphs:
        chunk = article.text[paragraph.start : paragraph.end]
        assert chunk and chunk == chunk.strip() and "\n" not in chunk
        assert paragraph.kind in {"body", "heading", "caption", "credits"}
    assert "**" not in article.text and not re.search(r"^#", article.text, re.M)


def test_seed_000_rejoins_the_cut_river_sentence_and_drops_the_orphan():
    article = clean_article((CORPUS / "000_16c5753bd22f9982.txt").read_text(encoding="utf-8"))
    assert "东辽河3个国考断面全部达到III类及以上水体标准" in article.text
    assert _reasons(article)["orphan-fragment"] == ["公文化”。", "实事"]
    assert article.title == "以实干实绩展现辽源新作为"
    assert "东辽河源头景色如画。" in _texts(article, "caption")
    assert len(_texts(article, "heading")) == 4


def test_seed_003_page_header_becomes_metadata():
    article = clean_article((CORPUS / "003_bddec4129571bbbc.txt").read_text(encoding="utf-8"))
    assert (article.newspaper, article.date, article.page) == ("吉林日报", "2026-01-30", "03版 · 两会特刊")
    assert article.authors == ("陶连飞",)
    assert article.title == "锻造东北振兴新引擎"
    speakers = [h for h in _texts(article, "heading") if "：" in h]
    assert [h.split("：")[0] for h in speakers] == [
        "省发展改革委主任 李平",
        "长春市长 顾刚",
        "吉林市长 王吉",
        "辽源市市长 高飞",
        "四平市市长 陈德明",
    ]

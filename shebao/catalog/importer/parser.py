"""Parser of 《社会保险公共服务事项清单和办事指南》 as text.

The document is a word-processor table exported to text: a cover notice, the summary list
(清单汇总表, tab-separated rows with section headings) and one two-column guide table
(办事指南表) per item, ``label<TAB>value``. Page breaks leave a blank line and continue the
value on a line that starts with a TAB; some labels and values carry ``<p>`` paragraphs and
the 办理类型 checkboxes are HTML ``<input>`` elements.

Only the tags listed in ``KNOWN_TAGS`` are removed. A generic ``<[^>]+>`` strip would eat the
literal angle-bracketed titles the document cites (e.g. ``<湖北省失业保险实施办法>``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

LIST_TITLE = "社会保险公共服务事项清单汇总表"
# Every table is titled 社会保险公共服务事项办事指南表 except SBZX00062 (社会保险待遇业务事项办事指南表).
GUIDE_TITLE = re.compile(r"^社会保险\S{0,8}事项办事指南表$")
FOOTER = "武汉市人力资源和社会保障局办公室"
# A template instruction left between two tables (after YBZX00003); not part of any guide.
TEMPLATE_NOTE = re.compile(r"^(注：1\.表格各要素原则上为必填项|体; 3\. 具体要求详见填写说明)")

# Field labels in their canonical order; 设定依据 is a variant label of 设定主要依据.
FIELD_LABELS: dict[str, str] = {
    "业务编号": "code",
    "业务类别": "category",
    "事项名称": "name",
    "实施机关": "authority",
    "办理类型": "modes",
    "设定主要依据": "legal_basis",
    "设定依据": "legal_basis",
    "办事条件": "conditions",
    "申报材料": "materials",
    "法定时限": "legal_limit",
    "承诺时限": "promised_limit",
    "特别程序及期限": "special_procedure",
    "收费依据及标准": "fee",
    "证照或批复名称": "certificate",
    "运行流程": "flow",
    "承办机构": "agency",
    "咨询方式": "consult",
    "监督投诉方式": "complaint",
    "备注": "remarks",
}
REQUIRED_FIELDS = {name for name in FIELD_LABELS.values()} - {"remarks"}
# Contact fields break between entries, so a page-break continuation starts a new line there.
LINE_JOINED_FIELDS = {"consult"}

P_OPEN = r"<p(?:\s+style=\"[^\"]*\")?>"
KNOWN_TAGS = re.compile(rf"{P_OPEN}|</p>|<ol(?:\s+style=\"[^\"]*\")?>|</ol>")
# A numbered step or list entry at the start of a paragraph: 1、 2. （3） (4) 二、
PARAGRAPH_MARKER = r"(?:\d+\s*[、.．](?!\d)|[（(]\d+[）)]|[一二三四五六七八九十]+、)"
CHECKBOX = re.compile(r"<input(?P<checked> checked=\"\")? type=\"checkbox\"/>\s*(?P<label>马上办|网上办|一次办)")
ITEM_CODE = re.compile(r"^[A-Z]{3,4}\d{5,6}(?:-\d)?$")
DOC_NUMBER = re.compile(r"武人社发〔\d{4}〕\d+号")
CN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")

# Misprints of the list's section headings, corrected for display; the printed form is kept.
SECTION_CORRECTIONS = {"社保持遇资格认证业务": "社保待遇资格认证业务"}


class DocumentFormatError(ValueError):
    """The file is not an edition of the document, or is damaged (e.g. truncated)."""


@dataclass
class ListRow:
    seq: int | None
    printed_code: str
    code: str
    category: str
    name: str
    section: str
    line: int


@dataclass
class GuideTable:
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # field -> label as printed
    modes: dict[str, bool] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.fields["code"]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass
class ParsedDocument:
    doc_number: str
    title: str
    issued_on: date
    sections: list[str]
    list_rows: list[ListRow]
    guides: list[GuideTable]
    notes: list[str]
    source_sha256: str
    cover_text: str = ""

    def list_row_for(self, code: str) -> ListRow | None:
        for row in self.list_rows:
            if row.code == code:
                return row
        return None


def strip_known_tags(text: str) -> str:
    return KNOWN_TAGS.sub("", text)


def clean_value(raw: str) -> str:
    """A field value as plain text: paragraphs become lines, table columns become spaces."""
    text = re.sub(rf"</p>\s*{P_OPEN}", "\n", raw)
    text = strip_known_tags(text)
    text = text.replace("\t", " ")
    lines = [re.sub(r"[ \u3000]{2,}", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def normalize_list_code(printed: str) -> str:
    """The list prints SBZX000062…SBZX000074 with an extra zero; the guides are canonical."""
    code = printed.strip()
    match = re.fullmatch(r"([A-Z]+)0*(\d{1,5})((?:-\d)?)", code)
    if match and len(code.split("-")[0]) > len(match.group(1)) + 5:
        return f"{match.group(1)}{int(match.group(2)):05d}{match.group(3)}"
    return code


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("\t")]


def _parse_cover(lines: list[str], notes: list[str]) -> tuple[str, str, date]:
    head = "\n".join(lines[:40])
    number = DOC_NUMBER.search(head)
    if not number:
        raise DocumentFormatError("不是《社会保险公共服务事项清单和办事指南》：封面没有发文字号（武人社发〔年〕号）")
    title_match = re.search(r"《(社会保险公共服务事项清单\s*和办事指南)》", head)
    title = re.sub(r"\s+", "", title_match.group(1)) if title_match else "社会保险公共服务事项清单和办事指南"
    issued: date | None = None
    for line in lines[:60]:
        if match := CN_DATE.match(line.strip()):
            issued = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            break
    if issued is None:
        raise DocumentFormatError("封面没有成文日期（形如 2017年11月14日）")
    return number.group(0), title, issued


def _parse_list(lines: list[tuple[int, str]], notes: list[str]) -> tuple[list[str], list[ListRow]]:
    sections: list[str] = []
    rows: list[ListRow] = []
    seen_codes: set[str] = set()
    for lineno, line in lines:
        if not line.strip() or line.strip() == LIST_TITLE:
            continue
        cells = _cells(line)
        if cells[:2] == ["序号", "业务编号"]:
            continue
        code_cell = cells[1] if len(cells) > 1 else ""
        if ITEM_CODE.match(code_cell):
            if not sections:
                raise DocumentFormatError(f"清单第{lineno}行：事项出现在任何业务分类标题之前")
            code = normalize_list_code(code_cell)
            if code != code_cell:
                notes.append(f"清单第{lineno}行：业务编号 {code_cell} 多印一个 0，按 {code} 对应办事指南")
            if code in seen_codes:
                raise DocumentFormatError(f"清单第{lineno}行：业务编号 {code} 重复")
            seen_codes.add(code)
            seq_text = cells[0]
            if seq_text and not seq_text.isdigit():
                raise DocumentFormatError(f"清单第{lineno}行：序号“{seq_text}”不是数字")
            rows.append(
                ListRow(
                    seq=int(seq_text) if seq_text else None,
                    printed_code=code_cell,
                    code=code,
                    category=cells[2] if len(cells) > 2 else "",
                    name=cells[3] if len(cells) > 3 else "",
                    section=sections[-1],
                    line=lineno,
                )
            )
            continue
        non_empty = [cell for cell in cells if cell]
        if len(non_empty) == 1:
            heading = non_empty[0]
            if cells.index(heading) != 2:
                notes.append(f"清单第{lineno}行：分类标题“{heading}”错位在第{cells.index(heading) + 1}列")
            if heading in SECTION_CORRECTIONS:
                notes.append(f"清单第{lineno}行：分类标题“{heading}”有错字，显示为“{SECTION_CORRECTIONS[heading]}”")
            sections.append(heading)
            continue
        raise DocumentFormatError(f"清单第{lineno}行无法识别：{line.strip()[:40]}")
    return sections, rows


def _label_of(line: str) -> str | None:
    first = strip_known_tags(line.split("\t", 1)[0]).strip()
    return first if first in FIELD_LABELS else None


def _join_continuation(table: GuideTable, name: str, continuation: str) -> None:
    """Append a page-break continuation to a field.

    A page break can split a word or a bracketed title (``《…审核`` / ``表》``), so the two
    halves are joined with nothing between them, and a paragraph the break cut in two stays
    one paragraph. The break is a paragraph boundary only where the text says so: the previous
    part ended a sentence, or the continuation starts a numbered step. Contact lists break
    between entries, so there the continuation is always a new line.
    """
    previous = table.fields[name].rstrip("\t ")
    starts_paragraph = bool(re.match(rf"(?:{P_OPEN})?\s*{PARAGRAPH_MARKER}", continuation))
    ends_sentence = bool(re.search(r"[。；;：:]\s*(?:</p>)?$", previous))
    if name in LINE_JOINED_FIELDS or starts_paragraph or ends_sentence:
        table.fields[name] = previous + "\n" + continuation
        return
    previous = re.sub(r"</p>\s*$", "", previous)
    continuation = re.sub(rf"^{P_OPEN}", "", continuation)
    table.fields[name] = previous + continuation


def _parse_guides(lines: list[tuple[int, str]], notes: list[str]) -> list[GuideTable]:
    tables: list[GuideTable] = []
    current: GuideTable | None = None
    last_field: str | None = None
    for lineno, line in lines:
        stripped = line.strip()
        if not stripped:
            continue  # blank lines are page breaks inside a table or gaps between tables
        if GUIDE_TITLE.match(stripped):
            if stripped != "社会保险公共服务事项办事指南表":
                notes.append(f"第{lineno}行：表题为“{stripped}”")
            last_field = None
            continue
        if TEMPLATE_NOTE.match(stripped):
            notes.append(f"第{lineno}行：删去夹在两表之间的填表说明")
            last_field = None
            continue
        label = _label_of(line)
        if label is not None:
            name = FIELD_LABELS[label]
            value = line.split("\t", 1)[1] if "\t" in line else ""
            if name == "code":
                current = GuideTable(line=lineno)
                tables.append(current)
            elif current is None:
                raise DocumentFormatError(f"第{lineno}行：“{label}”出现在第一个业务编号之前")
            if name in current.fields:
                raise DocumentFormatError(f"第{lineno}行：{current.get('code')} 的“{label}”重复出现")
            current.fields[name] = value
            current.labels[name] = label
            last_field = name
            continue
        if current is None or last_field is None:
            raise DocumentFormatError(f"第{lineno}行不属于任何办事指南表：{stripped[:40]}")
        _join_continuation(current, last_field, line[1:] if line.startswith("\t") else line)
    return tables


def _finish_table(table: GuideTable, notes: list[str]) -> None:
    missing = [label for label, name in FIELD_LABELS.items() if name in REQUIRED_FIELDS and name not in table.fields
               and label != "设定依据"]
    if missing:
        raise DocumentFormatError(f"{table.get('code') or '第' + str(table.line) + '行的表'} 缺少栏目：{'、'.join(missing)}")
    raw_modes = table.fields["modes"]
    found = {m.group("label"): bool(m.group("checked")) for m in CHECKBOX.finditer(raw_modes)}
    if set(found) != {"马上办", "网上办", "一次办"}:
        raise DocumentFormatError(f"{table.get('code')} 的办理类型不是三个勾选框：{strip_known_tags(raw_modes)[:40]}")
    table.modes = {"immediate": found["马上办"], "online": found["网上办"], "one_visit": found["一次办"]}
    for name, raw in list(table.fields.items()):
        if name != "modes":
            table.fields[name] = clean_value(raw)
    if table.labels.get("legal_basis") == "设定依据":
        notes.append(f"{table.code}：依据栏标为“设定依据”（其他表为“设定主要依据”）")
    if not ITEM_CODE.match(table.code):
        raise DocumentFormatError(f"第{table.line}行：业务编号“{table.code}”格式不对")


def parse_document(text: str) -> ParsedDocument:
    """Parse a whole edition. Raises DocumentFormatError naming the first problem found."""
    if not text.strip():
        raise DocumentFormatError("文件为空")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    lines = text.split("\n")
    notes: list[str] = []
    doc_number, title, issued_on = _parse_cover(lines, notes)

    try:
        list_start = next(i for i, line in enumerate(lines) if line.strip() == LIST_TITLE)
    except StopIteration:
        raise DocumentFormatError(f"没有“{LIST_TITLE}”：这不是事项清单和办事指南") from None
    try:
        guide_start = next(i for i, line in enumerate(lines) if GUIDE_TITLE.match(line.strip()))
    except StopIteration:
        raise DocumentFormatError("没有任何“办事指南表”：文件可能被截断") from None
    try:
        footer = next(i for i in range(len(lines) - 1, guide_start, -1) if lines[i].strip() == FOOTER)
    except StopIteration:
        raise DocumentFormatError(f"文末没有落款“{FOOTER}”：文件可能被截断") from None
    notes.append(f"第{footer + 1}行起为文末落款，不属于最后一个事项")

    numbered = list(enumerate(lines, start=1))
    sections, list_rows = _parse_list(numbered[list_start:guide_start], notes)
    guides = _parse_guides(numbered[guide_start:footer], notes)
    for table in guides:
        _finish_table(table, notes)

    _check_consistency(list_rows, guides, notes)
    return ParsedDocument(
        doc_number=doc_number,
        title=title,
        issued_on=issued_on,
        sections=sections,
        list_rows=list_rows,
        guides=guides,
        notes=notes,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        cover_text="\n".join(lines[:list_start]),
    )


def _check_consistency(list_rows: list[ListRow], guides: list[GuideTable], notes: list[str]) -> None:
    if not list_rows:
        raise DocumentFormatError("清单汇总表没有任何事项")
    if not guides:
        raise DocumentFormatError("没有任何办事指南表")
    guide_codes = [g.code for g in guides]
    duplicates = {code for code in guide_codes if guide_codes.count(code) > 1}
    if duplicates:
        raise DocumentFormatError(f"办事指南表业务编号重复：{'、'.join(sorted(duplicates))}")
    list_codes = [row.code for row in list_rows]
    no_guide = [code for code in list_codes if code not in set(guide_codes)]
    no_row = [code for code in guide_codes if code not in set(list_codes)]
    if no_guide:
        raise DocumentFormatError(f"清单中的事项没有办事指南表（文件可能被截断）：{'、'.join(no_guide[:10])}")
    if no_row:
        raise DocumentFormatError(f"办事指南表不在清单中：{'、'.join(no_row[:10])}")
    if list_codes != guide_codes:
        notes.append("办事指南表的顺序与清单不同；以办事指南表顺序为准")
    seqs = [row.seq for row in list_rows if row.seq is not None]
    if seqs != list(range(1, len(seqs) + 1)):
        raise DocumentFormatError("清单序号不连续")
    for row in list_rows:
        if row.seq is None and not row.code.endswith("-2"):
            raise DocumentFormatError(f"清单第{row.line}行：{row.code} 没有序号")

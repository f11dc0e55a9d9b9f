"""The public portal (公开门户) against the real imported catalog: pages, filters, search,
guides, offices, errors, large type, accessibility and locally served assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from shebao.catalog import selectors
from shebao.catalog.models import CatalogVersion, Office, ServiceItem
from shebao.catalog.templatetags.portal import highlight, limit_words, linkify, paragraphs

pytestmark = pytest.mark.django_db

LIST = reverse("catalog:item_list")


def _guide(code: str) -> str:
    return reverse("catalog:item_detail", args=[code])


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _item_links(html: str) -> list[str]:
    """Codes of the guides a result page links to, in order, once each."""
    codes = re.findall(r'href="/items/([^/"]+)/"', html)
    return list(dict.fromkeys(codes))


class _Tags(HTMLParser):
    """Collects start tags with their attributes, for structural checks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


# --------------------------------------------------------------------------- home


def test_home_shows_bureau_hotline_search_sections_and_entry_points(
    client: Client, catalog: CatalogVersion
) -> None:
    response = client.get(reverse("catalog:home"))
    assert response.status_code == 200
    html = _text(response)
    assert "武汉市人力资源和社会保障局" in html
    assert 'href="tel:12333"' in html
    # One search box first, labelled.
    assert html.index('type="search"') < html.index("事项分类")
    assert '<label for="home-q"' in html
    # Every section is an entry point with its count.
    for section in selectors.section_list(version=catalog):
        assert section.name in html
        assert f"?section={section.position}" in html
    assert "单位参保登记及缴费核定业务" in html and "<strong>29</strong> 项" in html
    # 个人办事 / 单位办事 as the other way in, with counts from the data.
    persons = selectors.item_list(version=catalog, applicant="person").count()
    units = selectors.item_list(version=catalog, applicant="unit").count()
    assert '?applicant=person"' in html and f"<strong>{persons}</strong> 项" in html
    assert '?applicant=unit"' in html and f"<strong>{units}</strong> 项" in html
    assert "共 123 项" in html
    assert "武人社发〔2017〕58号" in html


# --------------------------------------------------------------------------- list & filters


def test_list_shows_every_item_grouped_by_section_with_tags_and_limits(
    client: Client, catalog: CatalogVersion
) -> None:
    html = _text(client.get(LIST))
    assert len(_item_links(html)) == 123
    assert html.count('class="result-group"') == 12
    # Coloured tags and the promised limit on every item.
    assert html.count('class="tag tag-limit"') == 123
    assert 'class="tag tag-immediate">马上办' in html
    assert 'class="tag tag-online">网上办' in html
    assert 'class="tag tag-one_visit">一次办' in html
    assert "承诺时限</span>即时办结" in html
    assert "承诺时限</span>15个工作日" in html


def test_filter_by_section(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"section": 1}))
    codes = _item_links(html)
    assert len(codes) == 29
    assert codes[0] == "SBZX00001" and "SBZX00020-2" in codes and "SBZX00029" not in codes


def test_filter_by_category(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"category": "公共业务-工伤认定"}))
    assert _item_links(html) == ["GSC00001"]
    # The category choices are offered in the filter form.
    assert '<option value="公共业务-工伤认定"' in _text(client.get(LIST))


@pytest.mark.parametrize("mode", ["immediate", "online", "one_visit"])
def test_filter_by_mode(client: Client, catalog: CatalogVersion, mode: str) -> None:
    html = _text(client.get(LIST, {"mode": mode}))
    expected = [i.code for i in selectors.item_list(version=catalog, modes=[mode])]
    assert _item_links(html) == expected
    assert f'value="{mode}" checked' in html


def test_filter_by_several_modes_and_applicant(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"mode": ["immediate", "online"], "applicant": "unit"}))
    expected = [
        i.code for i in selectors.item_list(version=catalog, modes=["immediate", "online"], applicant="unit")
    ]
    assert expected and _item_links(html) == expected


@pytest.mark.parametrize("applicant,title", [("person", "个人办事"), ("unit", "单位办事")])
def test_person_and_unit_entry_pages(
    client: Client, catalog: CatalogVersion, applicant: str, title: str
) -> None:
    html = _text(client.get(LIST, {"applicant": applicant}))
    assert f'<h1 class="page-title">{title}</h1>' in html
    items = selectors.item_list(version=catalog, applicant=applicant)
    assert _item_links(html) == [i.code for i in items]
    assert all(applicant in i.applicant_kinds for i in items)
    # The nav marks the entry point as the current page.
    assert re.search(rf'applicant={applicant}"\s+aria-current="page"', html)


@pytest.mark.parametrize(
    "params,message",
    [
        ({"section": "abc"}, "栏目参数“abc”无效"),
        ({"section": "99"}, "没有序号为 99 的栏目"),
        ({"mode": "xyz"}, "办理类型“xyz”无效"),
        ({"applicant": "robot"}, "办事对象“robot”无效"),
        ({"q": "养" * 61}, "搜索词过长"),
    ],
)
def test_bad_parameters_give_a_clear_400_in_chinese(
    client: Client, catalog: CatalogVersion, params: dict[str, str], message: str
) -> None:
    response = client.get(LIST, params)
    assert response.status_code == 400
    html = _text(response)
    assert "查询条件有误" in html and message in html
    assert 'role="alert"' in html
    assert _item_links(html) == []


def test_empty_result_suggests_what_to_do(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(LIST, {"q": "宇宙飞船"})
    assert response.status_code == 200
    html = _text(response)
    assert "没有找到符合条件的事项" in html and "12333" in html


# --------------------------------------------------------------------------- search


def test_search_in_chinese(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"q": "养老"}))
    codes = _item_links(html)
    assert "SBZX00024" in codes and "YLC00001" in codes
    assert "<mark>养老</mark>" in html
    assert f"找到 <strong>{len(codes)}</strong> 项" in html


def test_search_by_pinyin_initials_finds_unit_registration_items(
    client: Client, catalog: CatalogVersion
) -> None:
    html = _text(client.get(LIST, {"q": "dwcb"}))
    codes = _item_links(html)
    # 调整单位参保期间… has 单位参保 in its own name and comes first, highlighted.
    assert codes[0] == "SBZX00028"
    assert "调整<mark>单位参保</mark>期间" in html
    # The items of the section 单位参保登记及缴费核定业务 are found too, and say why.
    assert {"SBZX00001", "SBZX00013", "SBZX00020-1"} <= set(codes)
    assert "匹配：所属栏目（拼音）" in html


def test_search_is_tolerant_of_full_width_and_spaces(client: Client, catalog: CatalogVersion) -> None:
    for query in ("ＳＢＺＸ０００６２", " sbzx 00062 ", "SBZX\u300000062"):
        html = _text(client.get(LIST, {"q": query}))
        assert _item_links(html) == ["SBZX00062"], query
    spaced = _item_links(_text(client.get(LIST, {"q": "工伤 认定"})))
    assert "GSC00001" in spaced


def test_search_covers_materials_and_conditions(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"q": "营业执照"}))
    assert "SBZX00001" in _item_links(html)
    assert "匹配：申报材料" in html


def test_search_combines_with_filters(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST, {"q": "养老", "section": 1}))
    codes = _item_links(html)
    assert codes and all(
        ServiceItem.objects.get(version=catalog, code=c).section.position == 1 for c in codes
    )


def test_htmx_search_returns_only_the_results(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(LIST, {"q": "dwcb"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = _text(response)
    assert "<html" not in html and "SBZX00028" in html
    assert "HX-Request" in response.headers.get("Vary", "")
    # A bad parameter in a live search still shows the message (HTMX is told to swap 400s).
    bad = client.get(LIST, {"mode": "xyz"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "办理类型“xyz”无效" in _text(bad)
    # History restoration needs the whole page.
    full = client.get(LIST, {"q": "dwcb"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in _text(full)


def test_list_form_works_without_javascript(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(LIST))
    form = next(attrs for tag, attrs in _tags(html) if tag == "form" and attrs.get("id") == "filters")
    assert form["action"] == LIST and form["method"] == "get"
    assert 'name="section"' in html and 'name="category"' in html
    assert 'name="mode"' in html and 'name="applicant"' in html
    assert '<button type="submit"' in html


# --------------------------------------------------------------------------- guides


def test_guide_reads_top_to_bottom_with_every_field(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(_guide("YBZX00001"))
    assert response.status_code == 200
    html = _text(response)
    item = ServiceItem.objects.get(version=catalog, code="YBZX00001")
    assert item.name in html
    order = [
        "办事条件",
        "申报材料",
        "办理时限",
        "运行流程",
        "承办机构与咨询方式",
        "监督投诉",
        item.legal_basis_label,
        "收费、证照及其他",
    ]
    positions = [html.index(f"</span>{heading}</h2>") for heading in order]
    assert positions == sorted(positions)
    for label in (
        "业务编号",
        "业务类别",
        "实施机关",
        "办事对象",
        "办理类型",
        "法定时限",
        "承诺时限",
        "收费依据及标准",
        "证照或批复名称",
        "特别程序及期限",
        "备注",
    ):
        assert label in html, label
    for basis in item.legal_basis:
        assert f"<li>{basis}</li>" in html.replace("&#x27;", "'")
    assert "经社保经办机构审核备案" in html  # 办事条件


def test_guide_materials_are_a_checklist_with_counts(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(_guide("YBZX00001")))
    item = ServiceItem.objects.get(version=catalog, code="YBZX00001")
    materials = list(item.materials.all())
    checkboxes = [a for t, a in _tags(html) if t == "input" and a.get("type") == "checkbox"]
    assert len(checkboxes) == len(materials) > 10
    # Every checkbox has a label.
    for box in checkboxes:
        assert f'<label for="{box["id"]}"' in html
    # Group headings, 原件/复印件 counts, 拟留件, conditional materials are all marked.
    assert "居民医保申报材料" in html and "大学生医保申报材料" in html
    assert "复印件 1 份" in html and "拟留件</span>" in html
    assert html.count('badge-conditional">视情况提供') == sum(m.conditional for m in materials) > 0
    assert f"共 <strong>{len(materials)}</strong> 项" in html


def test_guide_limits_show_kind_words_and_original_text(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(_guide("YBZX00001")))
    assert '<td class="limit-words">30个工作日</td>' in html
    assert '<td class="limit-words promise">15个工作日</td>' in html
    assert html.count('class="kind kind-working_days">工作日') == 2
    assert "30 个工作日" in html  # the printed text, as printed

    immediate = _text(client.get(_guide("SBZX00001")))
    assert '<td class="limit-words promise">即时办结</td>' in immediate

    staged = _text(client.get(_guide("GSC00001")))
    assert 'class="kind kind-staged">分段时限' in staged
    assert "自受理工伤认定申请之日起 60 日内作出工伤认定决定。" in staged


def test_guide_flow_is_numbered_steps(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(_guide("GSC00001")))
    steps = re.search(r'<ol class="steps">(.*?)</ol>', html, re.S)
    assert steps is not None
    texts = re.findall(r'<span class="step-text">(.*?)</span>', steps.group(1))
    assert texts[1:] == ["社保经办机构受理初审", "调查", "决定", "送达"]


def test_guide_contacts_table_and_complaint_channel(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(_guide("YBZX00001")))
    assert '<table class="data-table contacts-table">' in html
    item = ServiceItem.objects.get(version=catalog, code="YBZX00001")
    contacts = list(item.contacts.all())
    assert contacts
    for contact in contacts:
        for phone in contact.phones:
            assert phone in html
        if contact.address:
            assert contact.address in html
    assert 'href="tel:' in html
    linked = [c for c in contacts if c.office_id]
    assert linked and f'/offices/#office-{linked[0].office.key}"' in html
    # 监督投诉: the mayor's hotline and the bureau's discipline office.
    complaint = html[html.index('id="h-complaint"') : html.index('id="h-basis"')]
    assert "12345" in complaint and "机关纪委" in complaint


def test_misprinted_and_loosely_typed_codes_redirect_to_the_guide(
    client: Client, catalog: CatalogVersion
) -> None:
    response = client.get(_guide("SBZX000062"))
    assert response.status_code == 301 and response["Location"] == _guide("SBZX00062")
    response = client.get(_guide("sbzx00020-1"))
    assert response.status_code == 301 and response["Location"] == _guide("SBZX00020-1")
    page = _text(client.get(_guide("SBZX00062")))
    assert "清单汇总表印作 SBZX000062" in page


def test_unknown_item_is_a_friendly_404_in_chinese(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(_guide("NOPE00001"))
    assert response.status_code == 404
    html = _text(response)
    assert "没有找到编号为“NOPE00001”的服务事项" in html
    assert "返回首页" in html and "12333" in html


def test_unknown_url_is_the_chinese_404_page(client: Client, catalog: CatalogVersion) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "抱歉，没有找到您要的页面" in _text(response)


def test_guide_is_printable(client: Client, catalog: CatalogVersion) -> None:
    html = _text(client.get(_guide("GSC00001")))
    assert re.search(r'<link rel="stylesheet" href="/static/shebao/css/print\.css" media="print">', html)
    # The print button needs a script, so it starts hidden; the no-JS hint is always there.
    assert 'class="btn btn-secondary js-print" hidden' in html and "Ctrl+P" in html
    css = b"".join(client.get("/static/shebao/css/print.css").streaming_content).decode()  # type: ignore[attr-defined]
    assert "size: A4" in css and ".main-nav" in css


# --------------------------------------------------------------------------- offices


def test_office_directory(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(reverse("catalog:office_list"))
    assert response.status_code == 200
    html = _text(response)
    offices = list(Office.objects.all())
    assert offices
    for office in offices:
        assert f'id="office-{office.key}"' in html
        for phone in office.phones:
            assert phone in html
    district = Office.objects.filter(kind=Office.Kind.DISTRICT).first()
    assert district is not None
    filtered = _text(client.get(reverse("catalog:office_list"), {"kind": "district"}))
    assert f'id="office-{district.key}"' in filtered
    assert filtered.count('<tr id="office-') == Office.objects.filter(kind="district").count()


def test_office_directory_bad_kind_is_400(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(reverse("catalog:office_list"), {"kind": "spaceport"})
    assert response.status_code == 400
    assert "机构类型“spaceport”无效" in _text(response)


# --------------------------------------------------------------------------- large type, a11y, assets


def test_large_type_toggle_sets_a_cookie_and_returns(client: Client, catalog: CatalogVersion) -> None:
    toggle = reverse("catalog:display_large")
    response = client.get(toggle, {"on": "1", "next": "/items/?q=养老"})
    assert response.status_code == 302 and response["Location"] == "/items/?q=%E5%85%BB%E8%80%81"
    assert response.cookies["shebao_large"].value == "1"
    page = _text(client.get(LIST))
    assert '<html lang="zh-Hans" class="large-type">' in page
    assert "标准字号" in page

    response = client.get(toggle, {"on": "0", "next": "/"})
    assert response.cookies["shebao_large"].value == ""
    assert 'class="large-type"' not in _text(client.get(LIST))


def test_large_type_toggle_never_redirects_off_site(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(reverse("catalog:display_large"), {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("catalog:home")


@pytest.mark.parametrize("url", ["/", "/items/", "/items/GSC00001/", "/offices/", "/accessibility/"])
def test_pages_have_landmarks_skip_link_and_no_external_assets(
    client: Client, catalog: CatalogVersion, url: str
) -> None:
    html = _text(client.get(url))
    tags = _tags(html)
    assert ("html", {"lang": "zh-Hans"}) in tags or any(
        t == "html" and a.get("lang") == "zh-Hans" for t, a in tags
    )
    assert '<a class="skip-link" href="#main">跳到主要内容</a>' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert '<nav class="main-nav" aria-label="主导航">' in html
    assert html.count("<h1") == 1
    for tag, attrs in tags:
        if tag in ("script", "link", "img"):
            src = attrs.get("src") or attrs.get("href") or ""
            assert src.startswith("/static/"), (tag, src)
    # Every text input has a label.
    for tag, attrs in tags:
        if tag in ("input", "select") and attrs.get("type") not in ("checkbox", "radio", "hidden"):
            assert f'for="{attrs["id"]}"' in html, attrs


def test_static_assets_are_served_locally(client: Client, catalog: CatalogVersion) -> None:
    for path in (
        "/static/shebao/css/portal.css",
        "/static/shebao/css/print.css",
        "/static/shebao/js/portal.js",
        "/static/shebao/vendor/htmx-2.0.11.min.js",
        "/static/shebao/img/favicon.svg",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    css = b"".join(client.get("/static/shebao/css/portal.css").streaming_content).decode()  # type: ignore[attr-defined]
    assert "@import" not in css and "url(http" not in css and "@font-face" not in css


def test_portal_without_a_published_catalog_says_so(client: Client, db: None) -> None:
    CatalogVersion.objects.update(status=CatalogVersion.Status.DRAFT)
    response = client.get(reverse("catalog:home"))
    assert response.status_code == 503
    assert "事项清单暂未发布" in _text(response)


def test_500_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")
    assert "系统繁忙" in html and "12333" in html


# --------------------------------------------------------------------------- template helpers


@pytest.mark.parametrize(
    "kind,count,text,words",
    [
        ("immediate", None, "即时办结", "即时办结"),
        ("working_days", 5, "5 个工作日", "5个工作日"),
        ("days", 60, "60日", "60日"),
        ("months", 3, "3个月", "3个月"),
        ("none", None, "无", "无"),
        ("staged", None, "…", "分段时限"),
        ("text", None, "当月办结", "当月办结"),
        ("text", None, "自参保人到指定医院进行鉴定之日起16个工作日（特殊情况除外）", "见办事指南"),
    ],
)
def test_limit_words(kind: str, count: int | None, text: str, words: str) -> None:
    assert limit_words(kind, count, text) == words


def test_paragraphs_split_numbered_points_and_link_safely() -> None:
    html = str(
        paragraphs("一、条件如下：1. 甲；2. 乙。二、其他：<b>注意</b> 电话 027-12345，见 www.wh12333.gov.cn")
    )
    assert html.count("<p") == 4
    assert '<p class="p-point">2. 乙。</p>' in html
    assert "&lt;b&gt;" in html  # escaped
    assert '<a href="tel:02712345" class="tel">027-12345</a>' in html
    assert '<a href="http://www.wh12333.gov.cn"' in html
    assert str(paragraphs("")) == '<p class="none">无</p>'
    # Digits inside a web address are not taken for a phone number.
    url = "http://www.whrsj.gov.cn/publish/rbj/P1201012291042330001.shtml"
    assert "tel:" not in str(linkify(url))


def test_highlight_literal_pinyin_and_subsequence() -> None:
    assert str(highlight("调整单位参保期间", "dwcb")) == "调整<mark>单位参保</mark>期间"
    assert str(highlight("单位职工社会保险新参保及续保", "dwcb")).count("<mark>") == 2
    assert str(highlight("工伤认定", "工伤 认定")) == "<mark>工伤认定</mark>"
    assert str(highlight("<script>", "x")) == "&lt;script&gt;"


def test_category_choice_is_exact(client: Client, catalog: CatalogVersion) -> None:
    category = "生育待遇业务—生育保险业务"
    html = _text(client.get(LIST, {"category": category}))
    expected = [i.code for i in catalog.items.filter(category=category).order_by("position")]
    assert _item_links(html) == expected
    assert f'<option value="{category}" selected>' in html
    # A partial category typed into the address still works as a substring match.
    assert len(_item_links(_text(client.get(LIST, {"category": "生育保险"})))) > len(expected)

"""The import compared with the official document itself."""

from __future__ import annotations

from collections import Counter

import pytest

from shebao.catalog.models import CatalogVersion, Office, Section, ServiceItem

from .expected_limits import EXPECTED_LIMITS

pytestmark = pytest.mark.django_db


def _item(code: str) -> ServiceItem:
    return ServiceItem.objects.get(version__number=1, code=code)


def test_version_one_is_the_2017_edition(catalog: CatalogVersion) -> None:
    assert catalog.number == 1
    assert catalog.status == CatalogVersion.Status.PUBLISHED
    assert catalog.doc_number == "武人社发〔2017〕58号"
    assert catalog.issued_on.isoformat() == "2017-11-14"
    assert catalog.title == "社会保险公共服务事项清单和办事指南"


def test_123_guide_tables_and_120_numbered_items(catalog: CatalogVersion) -> None:
    items = list(catalog.items.order_by("position"))
    assert len(items) == 123
    assert sorted(i.seq for i in items if i.seq is not None) == list(range(1, 121))
    # The -2 tables share the 序号 of their -1 table and have none of their own.
    assert {i.code for i in items if i.seq is None} == {"SBZX00020-2", "SBZX00056-2", "SBZX00057-2"}
    assert sum(1 for i in items if i.code.startswith("SBZX")) == 77
    assert items[0].code == "SBZX00001" and items[-1].code == "YLC00004"
    prefixes = Counter(i.code.rstrip("-12").rstrip("0123456789") for i in items)
    assert prefixes == {"SBZX": 77, "YBZX": 25, "SYB": 9, "XXZX": 7, "GSC": 1, "YLC": 4}


def test_sections_in_list_order_with_counts(catalog: CatalogVersion) -> None:
    sections = list(Section.objects.filter(version=catalog).order_by("position"))
    assert len(sections) == 12
    assert sections[0].name == "单位参保登记及缴费核定业务"
    assert sections[0].items.count() == 29  # seq 1–28 plus the -2 table of 20
    # The misprint 社保持遇 is corrected for display and kept as printed.
    certification = sections[6]
    assert certification.printed_name == "社保持遇资格认证业务"
    assert certification.name == "社保待遇资格认证业务"
    assert [i.code for i in certification.items.order_by("position")] == [
        "SBZX00071", "SBZX00072", "SBZX00073", "SBZX00074",
    ]
    # Headings misaligned into column 1 are still headings.
    assert sections[4].name == "城乡居民基本养老保险参保登记业务"
    assert sections[5].name == "职工养老保险、居民养老保险待遇业务"


def test_mode_flags_match_the_checkbox_tallies(catalog: CatalogVersion) -> None:
    combos = Counter(
        (i.mode_immediate, i.mode_online, i.mode_one_visit) for i in catalog.items.all()
    )
    # Tallies from the two analyses: part 1 (62 tables) and part 2 (61 tables) added up.
    assert combos == {
        (True, True, True): 15 + 2,
        (True, False, True): 27 + 29,
        (False, True, True): 1 + 1,
        (False, False, True): 19 + 27,
        (False, True, False): 2,
    }
    assert {i.code for i in catalog.items.filter(mode_one_visit=False)} == {"SYB00005", "SYB00008"}
    assert _item("SBZX00016").mode_immediate is False and _item("SBZX00016").mode_online is True


def test_immediate_mode_is_checked_exactly_when_the_promise_is_immediate(catalog: CatalogVersion) -> None:
    for item in catalog.items.all():
        assert item.mode_immediate == (item.promised_limit_kind == "immediate"), item.code


def _short(kind: str, count: int | None) -> str:
    prefix = {"immediate": "imm", "none": "none", "working_days": "wd", "days": "d", "months": "m",
              "staged": "st", "text": "text"}[kind]
    return prefix if kind in {"immediate", "none", "text"} else f"{prefix}{'' if count is None else count}"


def test_limits_of_every_item(catalog: CatalogVersion) -> None:
    parsed = {
        i.code: (_short(i.legal_limit_kind, i.legal_limit_count), _short(i.promised_limit_kind, i.promised_limit_count))
        for i in catalog.items.all()
    }
    assert parsed == EXPECTED_LIMITS


def test_limit_texts_keep_the_printed_wording(catalog: CatalogVersion) -> None:
    assert _item("SBZX00014").legal_limit_text == "5 个工作日"  # space inside, as printed
    assert _item("SBZX00049").legal_limit_text == "无"
    assert _item("XXZX00003").promised_limit_text == "即时办理"
    gsc = _item("GSC00001")
    assert gsc.legal_limit_text.startswith("自受理工伤认定申请之日起 60 日内作出工伤认定决定。\n自工伤认定决定作出之日起 20 日内")
    assert "<p>" not in gsc.legal_limit_text


def _materials(code: str) -> list[tuple[str, str]]:
    return [(m.printed_number, m.text) for m in _item(code).materials.order_by("position")]


def test_materials_of_a_registration_item_with_counts(catalog: CatalogVersion) -> None:
    materials = list(_item("SBZX00001").materials.order_by("position"))
    assert [m.printed_number for m in materials] == ["1", "2", "3", "4"]
    assert materials[1].text == "加载“统一社会信用代码”的营业执照原件及复印件一份"
    assert (materials[1].original_count, materials[1].copy_count) == (1, 1)
    assert (materials[2].original_count, materials[2].copy_count) == (None, 1)  # 复印件一份 only
    assert materials[0].original_count == 2  # 各一式两份
    assert not any(m.conditional for m in materials)


@pytest.mark.parametrize(
    ("code", "count"),
    [
        ("SBZX00020-1", 0), ("SBZX00049", 0), ("YBZX00020", 0),  # 申报材料: 无
        ("SBZX00002", 6), ("SBZX00013", 5), ("SBZX00037", 3),  # 00037 ends item 1 with 。
        ("SBZX00048", 4),  # no separator before 2、
        ("SBZX00055", 5), ("SBZX00061", 3),  # 00061 is an <ol> with manual numbers
        ("SYB00009", 4), ("XXZX00003", 8), ("YLC00003", 7),
    ],
)
def test_material_counts_across_sections(catalog: CatalogVersion, code: str, count: int) -> None:
    assert _item(code).materials.count() == count


def test_material_numbering_is_kept_as_printed_but_ordered_by_position(catalog: CatalogVersion) -> None:
    # YBZX00013 skips 4 in print.
    assert [n for n, _ in _materials("YBZX00013")] == ["1", "2", "3", "5", "6"]
    # XXZX00003 "4、65岁以上老年人" — a number right after 、 is still an item start.
    assert _materials("XXZX00003")[3] == ("4", "65岁以上老年人，持老年证")


def test_unnumbered_entry_and_stray_backslash_in_ybzx00001(catalog: CatalogVersion) -> None:
    materials = list(_item("YBZX00001").materials.order_by("position"))
    assert len(materials) == 25
    assert materials[9].text.startswith("手术患者还需要提供手术记录和麻醉记录")
    assert not materials[9].text.endswith("\\")
    assert materials[10].printed_number == "" and materials[10].text.startswith("银行卡")
    assert {m.group for m in materials} == {"居民医保申报材料", "大学生医保申报材料"}
    # A page break split "一式一份" — joined without a space.
    assert materials[12].text.endswith("（复印件、一式一份，拟留件)")


def test_conditional_blocks(catalog: CatalogVersion) -> None:
    gsc = list(_item("GSC00001").materials.order_by("position"))
    assert len(gsc) == 10
    assert [m.group for m in gsc[:4]] == ["申请材料"] * 4 and not any(m.conditional for m in gsc[:4])
    assert all(m.conditional for m in gsc[4:]) and gsc[4].group == "需要提供其他材料的几种情形"
    syb = list(_item("SYB00003").materials.order_by("position"))
    assert [m.conditional for m in syb] == [False, False, False, True, True]
    assert syb[3].group == "申请领取抚恤金的，还需提供"
    assert syb[0].retained and syb[0].copy_count == 1
    # "出国（境）定居的，提供…" is needed only in that case.
    assert [m.conditional for m in _item("SBZX00062").materials.order_by("position")] == [
        False, True, True, False, False,
    ]


def test_stray_bracket_removed_from_sbzx00073(catalog: CatalogVersion) -> None:
    last = _item("SBZX00073").materials.order_by("position").last()
    assert last is not None and last.text.endswith("下载或打印相关表格。")


def test_literal_angle_brackets_survive(catalog: CatalogVersion) -> None:
    assert any("<湖北省失业保险实施办法>" in b for b in _item("SYB00007").legal_basis)
    assert any(
        "《关于转发<湖北省人力资源和社会保障厅关于创新社会保险政策和服务支持新型城镇化建设的指导意见>的通知》" in b
        for b in _item("SBZX00029").legal_basis
    )


def test_legal_basis_is_a_list_and_the_label_variant_is_kept(catalog: CatalogVersion) -> None:
    basis = _item("SBZX00001").legal_basis
    assert basis == [
        "《中华人民共和国社会保险法》第五十八条",
        "《社会保险费申报缴纳管理规定》（中华人民共和国人力资源和社会保障部令第20号）第八条",
        "《国务院办公厅关于加快推进“五证合一、一照一码”登记制度改革的通知》（国办发〔2016〕53号）",
    ]
    assert _item("SBZX00058").legal_basis_label == "设定依据"
    assert _item("YBZX00003").legal_basis_label == "设定依据"
    assert _item("SBZX00057-1").legal_basis_label == "设定主要依据"


def test_page_break_continuations_are_joined_without_a_space(catalog: CatalogVersion) -> None:
    assert "《职工个人帐户养老金储存额一次性支付审核表》" in _item("SBZX00062").flow_text
    assert "《灵活就业人员社会保险费（补、退）单》到地税部门" in _item("SBZX00032").flow_text
    assert "发出《基本医疗保险关系转移接续联系函》" in _item("SBZX00048").flow_text
    assert "办理职工缴费工资申报手续" in _item("SBZX00016").flow_text
    assert "单位代办领卡的" in _item("XXZX00001").flow_text
    assert "退回给单位或本人" in _item("YBZX00006").flow_text


def test_template_note_and_footer_are_not_item_text(catalog: CatalogVersion) -> None:
    assert _item("YBZX00003").remarks == ""
    assert _item("YLC00004").remarks == ""
    assert not ServiceItem.objects.filter(remarks__contains="表格各要素").exists()
    assert not ServiceItem.objects.filter(remarks__contains="办公室").exists()
    assert _item("SBZX00035").remarks == ""  # printed as <p></p>
    assert "注：1.表格各要素" in " ".join(catalog.import_notes) or any("填表说明" in n for n in catalog.import_notes)


def test_list_and_guide_names_and_codes_are_both_kept(catalog: CatalogVersion) -> None:
    item = _item("SBZX00012")
    assert item.list_name == "单位统筹范围内建制转移" and item.name == "单位统筹范围内成建制转移"
    misprinted = _item("SBZX00062")
    assert misprinted.list_code == "SBZX000062" and misprinted.code == "SBZX00062"
    assert _item("SYB00004").list_name == "一次性申领失业失业保险金"
    assert _item("SYB00004").name == "一次性申领失业保险金"
    assert _item("SBZX00001").list_category == "公共业务-单位社保业务"
    assert _item("SBZX00001").category == "公共业务—单位社保业务"


def test_flow_steps_are_numbered_by_position(catalog: CatalogVersion) -> None:
    steps = [s.text for s in _item("SBZX00001").flow_steps.order_by("position")]
    assert steps == [
        "用人单位携带申报材料到辖区社保经办机构进行申请",
        "社保经办机构受理",
        "社保经办机构审核",
        "办理单位社会保险登记并发放社保网上办事大厅用户名及密码",
    ]
    # SBZX00061 prints its steps as 4–6 (continuing from 00060); we number from 1.
    assert _item("SBZX00061").flow_steps.count() == 3
    assert _item("SBZX00061").flow_steps.order_by("position").first().position == 1  # type: ignore[union-attr]


def test_applicants(catalog: CatalogVersion) -> None:
    assert _item("SBZX00001").applicant_kinds == ["unit"]
    assert _item("SBZX00029").applicant_kinds == ["person"]
    assert _item("SBZX00023").applicant_kinds == ["unit", "person"]  # 用人单位或参保人
    assert _item("SYB00008").applicant_kinds == []  # internal batch job, no applicant


def test_office_directory(catalog: CatalogVersion) -> None:
    districts = Office.objects.filter(kind=Office.Kind.DISTRICT).order_by("district_order")
    assert districts.count() == 14
    jiangan = districts.first()
    assert jiangan is not None and jiangan.name == "江岸社保处"
    assert jiangan.phones[0] == "027-51273816" and jiangan.address == "江岸区建设大道1131号"
    assert "江岸社会保险管理处" in jiangan.aliases
    kaifaqu = Office.objects.get(key="insurance-09")
    assert {"武汉经济技术开发区社保处", "市经济技术开发区（汉南）社保处"} <= set(kaifaqu.aliases)
    assert Office.objects.get(kind=Office.Kind.HOTLINE).phones[0] == "027-12333"
    city = set(Office.objects.filter(kind=Office.Kind.CITY_CENTRE).values_list("key", flat=True))
    assert {"city-insurance", "city-medical", "city-injury", "city-unemployment", "city-info"} <= city
    bureau = set(Office.objects.filter(kind=Office.Kind.BUREAU_DIVISION).values_list("key", flat=True))
    assert {"bureau-policy", "bureau-pension", "bureau-injury"} <= bureau
    assert Office.objects.filter(kind=Office.Kind.RESIDENTS_WINDOW).count() >= 5


def test_item_contacts_link_to_the_directory(catalog: CatalogVersion) -> None:
    contacts = list(_item("SBZX00001").contacts.order_by("position"))
    assert len(contacts) == 15
    assert contacts[0].office is not None and contacts[0].office.kind == Office.Kind.HOTLINE
    assert contacts[6].label == "青山社保处" and contacts[6].office.key == "insurance-06"  # type: ignore[union-attr]
    assert contacts[9].phones == ["027-84891235", "027-84891460"]
    # The unemployment items print three-column rows without the area code.
    syb = list(_item("SYB00001").contacts.order_by("position"))
    assert syb[0].label == "江岸社会保险管理处" and syb[0].phones == ["027-51273805"]
    assert syb[0].address == "江岸区建设大道 1131 号"


def test_copy_only_materials_have_no_original(catalog: CatalogVersion) -> None:
    card = _item("YBZX00001").materials.order_by("position").first()
    assert card is not None and card.text.startswith("社会保障卡（复印件，一式一份")
    assert (card.original_count, card.copy_count, card.retained) == (None, 1, True)

"""City-level centres and bureau divisions the document names in its text.

These bodies act in the flows (受理、复核、备案、付款) and in the notice itself, but rarely as
contact lines. Each is recognised by the forms the document uses for it; only bodies whose
name actually occurs in the edition being imported are registered, with the forms found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NamedBody:
    key: str
    name: str
    kind: str
    pattern: str


NAMED_BODIES = [
    NamedBody("city-insurance", "武汉市社会保险中心", "city_centre", r"市社保中心(?!财务科)|市社会保险中心"),
    NamedBody("city-insurance-finance", "武汉市社会保险中心财务科", "city_centre", r"市社保中心财务科"),
    NamedBody("city-medical", "武汉市医疗保险中心", "city_centre", r"(?:武汉)?市医(?:疗)?保(?:险)?中心"),
    NamedBody("city-injury", "武汉市工伤生育保险中心", "city_centre", r"(?:武汉)?市?工伤生育保险中心"),
    NamedBody("city-unemployment", "武汉市失业保险管理办公室", "city_centre", r"(?:武汉)?市?失业保险管理办公室|市失业办"),
    NamedBody("city-info", "武汉市劳动和社会保障信息中心", "city_centre", r"(?:武汉)?市?劳动和社会保障信息中心"),
    NamedBody("city-card", "武汉市社会保障卡服务大厅", "city_centre", r"(?:武汉市)?社会保障卡服务大厅"),
    NamedBody("bureau-policy", "市人社局政策法规处", "bureau_division", r"局?政策法规处"),
    NamedBody("bureau-pension", "市人社局职工养老保险处", "bureau_division", r"(?:市人社局)?职工养老保险处"),
    NamedBody("bureau-injury", "市人社局工伤与生育保险处", "bureau_division", r"(?:市人社局|武汉市人力资源和社会保障局)?工伤(?:与生育保险)?处"),
    NamedBody("bureau-discipline", "市人社局机关纪委", "bureau_division", r"(?:武汉市人力资源和社会保障局)?机关纪委"),
]


def find_named_bodies(text: str) -> dict[str, tuple[NamedBody, list[str]]]:
    """Bodies named in the text, each with the distinct forms it appears under."""
    found: dict[str, tuple[NamedBody, list[str]]] = {}
    for body in NAMED_BODIES:
        forms: list[str] = []
        for match in re.finditer(body.pattern, text):
            if match.group(0) not in forms:
                forms.append(match.group(0))
        if forms:
            found[body.key] = (body, forms)
    return found

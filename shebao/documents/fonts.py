"""The CJK font embedded in PDF notices.

Noto Sans CJK comes from PyPI (``noto-cjk-sans-otc``: the OpenType collection, CFF outlines), so
``make run`` needs no system fonts. fpdf2 embeds a subset of the Simplified Chinese face as a
CID-keyed CFF font (docs/decisions/0004-fpdf2-and-noto-cjk-for-pdf-notices.md).
``SHEBAO_PDF_FONT`` (path) and ``SHEBAO_PDF_FONT_INDEX`` (face in a collection) point elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Faces of NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK (then the Mono faces).
SIMPLIFIED_CHINESE_FACE = 2


class FontNotFound(RuntimeError):
    """No CJK font: install the project (it depends on noto-cjk-sans-otc) or set SHEBAO_PDF_FONT."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int


@cache
def cjk_font() -> FontFile:
    configured = os.environ.get("SHEBAO_PDF_FONT", "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontNotFound(f"SHEBAO_PDF_FONT={configured!r} is not a file")
        return FontFile(path, int(os.environ.get("SHEBAO_PDF_FONT_INDEX", "0") or 0))
    try:
        import noto_cjk_sans_otc
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise FontNotFound("the noto-cjk-sans-otc package is not installed") from exc
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():  # pragma: no cover
        raise FontNotFound(f"{path} is missing")
    return FontFile(path, SIMPLIFIED_CHINESE_FACE)

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Bureau identity and the reader's display preferences, for every page."""
    return {
        "bureau_name": settings.SHEBAO_BUREAU_NAME,
        "hotline": settings.SHEBAO_HOTLINE,
        # 适老化 large-type mode is a cookie so it follows the reader from page to page.
        "large_type": request.COOKIES.get("shebao_large") == "1",
    }

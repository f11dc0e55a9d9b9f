"""Password rules beyond Django's own validators (which Django already words in Chinese)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class LettersAndDigitsValidator:
    """At least one letter and one digit. Django has no such validator; a bureau's password rules
    (and 等级保护 reviews) ask for mixed character classes."""

    message = "密码须同时包含字母和数字。"

    def validate(self, password: str, user: Any = None) -> None:
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(self.message, code="password_letters_and_digits")

    def get_help_text(self) -> str:
        return self.message

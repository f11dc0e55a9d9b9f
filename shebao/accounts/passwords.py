"""Password rules beyond Django's own validators (which Django already words in Chinese)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
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


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a Chinese message: Django's zh-hans catalogue misses this (plural) one."""

    def get_error_message(self) -> str:
        return f"密码太短：至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"

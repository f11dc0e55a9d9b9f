"""The login form, worded in Chinese whatever the browser's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不对，请重新输入（字母区分大小写）。",
        "inactive": "该账户已停用，请联系系统管理员。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["username"].error_messages["required"] = "请填写用户名。"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].label = "密码"
        self.fields["password"].error_messages["required"] = "请填写密码。"
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})

from django.urls import path

from shebao.core import access
from shebao.core.access import page

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", page(access.PUBLIC)(views.LoginView.as_view()), name="login"),
    path("logout/", page(access.PUBLIC)(views.LogoutView.as_view()), name="logout"),
    path("profile/", views.profile, name="profile"),
]

"""Staff registry pages, included at /registry/ by config.urls."""

from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.search, name="search"),
    path("employers/<str:code>/", views.employer_detail, name="employer"),
    path("persons/<str:key>/", views.person_detail, name="person"),
    path("items/", views.items, name="items"),
    path("account/password/", views.password_change, name="password"),
]

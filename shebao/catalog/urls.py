"""URLs of the public portal (公开门户). Included at the site root by ``config.urls``."""

from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list, name="item_list"),
    path("items/<str:code>/", views.item_detail, name="item_detail"),
    path("offices/", views.office_list, name="office_list"),
    path("display/large/", views.display_large, name="display_large"),
    path("accessibility/", views.accessibility, name="accessibility"),
]

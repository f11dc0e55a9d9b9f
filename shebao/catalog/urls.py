"""URLs of the public portal (公开门户). Included at the site root by ``config.urls``."""

from django.urls import path

from shebao.changes import public as changes_public

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list, name="item_list"),
    path("items/<str:code>/", views.item_detail, name="item_detail"),
    path("offices/", views.office_list, name="office_list"),
    path("display/large/", views.display_large, name="display_large"),
    path("accessibility/", views.accessibility, name="accessibility"),
    # Guide change control, public side (shebao.changes): changelog, feed, versions and exports.
    path("changelog/", changes_public.changelog, name="changelog"),
    path("changelog/feed.atom", changes_public.changelog_feed, name="changelog_feed"),
    path("versions/<int:number>/", changes_public.version_detail, name="version_detail"),
    path("versions/<int:number>/export.json", changes_public.export_version_json, name="version_export_json"),
    path("versions/<int:number>/export.jsonld", changes_public.export_version_jsonld, name="version_export_jsonld"),
    path("versions/<int:number>/items/<str:code>/", views.item_version_detail, name="item_version_detail"),
]

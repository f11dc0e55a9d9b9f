"""Staff screens of guide change control, included at ``/changes/`` by ``config.urls``."""

from django.urls import path

from . import views

app_name = "changes"

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_new, name="new"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
    path("<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<int:pk>/<str:action>/", views.proposal_action, name="action"),
]

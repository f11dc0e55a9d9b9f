"""Supervision pages, under /supervision/ (config.urls)."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.case_list, name="cases"),
    path("warnings/", views.warnings, name="warnings"),
    path("findings/", views.findings, name="findings"),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/act/", views.order_act, name="order_act"),
    path("refresh/", views.refresh, name="refresh"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
    path("report/", views.report_pdf, name="report"),
]

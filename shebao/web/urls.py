"""URLs of case handling on the web. Included at the site root by ``config.urls``:

/go/                          after login: staff → /work/, applicants → /my/
/work/                        workbench: my office's queue, most urgent first
/work/cases/                  every case I may see, searchable
/work/new/                    窗口收件 (register an application at the window)
/work/cases/<id>/             case page: applicant, checklist, timeline, due dates, actions
/work/cases/<id>/act/         POST one action
/work/cases/<id>/registry-data/  POST the case's business data (form generated from the item's schema)
/my/                          applicant portal: my cases
/my/apply/  /my/apply/<code>/ apply online for 网上办 items
/my/cases/<id>/  …/act/       progress, uploads, notices, rating, withdraw
/cases/<id>/upload/           POST files for a case (applicant, or the window)
/files/<id>/                  an uploaded file, for readers of its case only
/notices/<n>/  /notices/<n>/pdf/   a notice, printable page and PDF
/track/                       public progress lookup (办件编号 + 证件号码后六位)
"""

from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("go/", views.home, name="home"),
    path("work/", views.work_queue, name="work_queue"),
    path("work/cases/", views.work_cases, name="work_cases"),
    path("work/new/", views.work_intake, name="work_intake"),
    path("work/cases/<uuid:case_id>/", views.work_case, name="work_case"),
    path("work/cases/<uuid:case_id>/act/", views.work_act, name="work_act"),
    path("work/cases/<uuid:case_id>/registry-data/", views.work_registry_data, name="work_registry_data"),
    path("my/", views.my_home, name="my_home"),
    path("my/apply/", views.my_apply, name="my_apply"),
    path("my/apply/<str:code>/", views.my_apply_item, name="my_apply_item"),
    path("my/cases/<uuid:case_id>/", views.my_case, name="my_case"),
    path("my/cases/<uuid:case_id>/act/", views.my_act, name="my_act"),
    path("cases/<uuid:case_id>/upload/", views.case_upload, name="case_upload"),
    path("files/<uuid:file_id>/", views.case_file, name="case_file"),
    path("notices/<int:notice_id>/", views.notice_print, name="notice_print"),
    path("notices/<int:notice_id>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("track/", views.track, name="track"),
]

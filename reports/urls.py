from django.urls import path

from reports.views import acceptance, reports, verify

app_name = "reports"
urlpatterns = [
    path("", reports.index, name="index"),
    path("new/", reports.create, name="create"),
    path("verify/", verify.verify, name="verify"),
    path("<int:pk>/", reports.detail, name="detail"),
    path("<int:pk>/narrative/", reports.narrative, name="narrative"),
    path("<int:pk>/progress/", reports.progress, name="progress"),
    path("<int:pk>/draft.pdf", reports.draft_pdf, name="draft-pdf"),
    path("<int:pk>/v<int:number>.pdf", reports.version_pdf, name="version-pdf"),
    path("<int:pk>/<slug:action>/", reports.act, name="act"),
    path("acceptance/contract/<slug:code>/", acceptance.contract_packages, name="acceptance-list"),
    path("acceptance/contract/<slug:code>/new/", acceptance.create, name="acceptance-create"),
    path("acceptance/<int:pk>/", acceptance.detail, name="acceptance"),
    path("acceptance/<int:pk>/package.<slug:what>", acceptance.download, name="acceptance-download"),
    path("acceptance/<int:pk>/<slug:action>/", acceptance.act, name="acceptance-act"),
]

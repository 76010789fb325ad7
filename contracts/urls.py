from django.urls import path

from contracts.views import assets, contracts, intake, penalties

app_name = "contracts"
urlpatterns = [
    path("", contracts.contract_list, name="list"),
    path("add/", contracts.contract_add, name="add"),
    # Before the <slug:code>/ routes: "intake" is a reserved code (NewContractForm).
    path("intake/", intake.intake_upload, name="intake"),
    path("intake/<int:pk>/", intake.intake_review, name="intake-review"),
    path("intake/<int:pk>/status/", intake.intake_status, name="intake-status"),
    path("intake/<int:pk>/read-again/", intake.intake_retry, name="intake-retry"),
    path("intake/<int:pk>/text/", intake.intake_text, name="intake-text"),
    path("intake/<int:pk>/original/", intake.intake_original, name="intake-original"),
    path("<slug:code>/", contracts.contract_detail, name="detail"),
    path("<slug:code>/edit/", contracts.contract_edit, name="edit"),
    path("<slug:code>/items/", contracts.contract_items, name="items"),
    path("<slug:code>/sla/", contracts.contract_sla, name="sla"),
    path("<slug:code>/penalties/", contracts.contract_penalties, name="penalties"),
    path("<slug:code>/penalties/breaches/add/", penalties.breach_add, name="breach-add"),
    path("<slug:code>/penalties/export.xlsx", penalties.breach_export, name="breaches-export"),
    path("<slug:code>/penalties/breaches/<int:pk>/waive/", penalties.breach_waive, name="breach-waive"),
    path("<slug:code>/milestones/", contracts.contract_milestones, name="milestones"),
    path("<slug:code>/milestones/deduct/", penalties.deduct_penalties, name="deduct-penalties"),
    path("<slug:code>/staff/", contracts.contract_staff, name="staff"),
    path(
        "<slug:code>/staff/assignments/<int:pk>/replace/",
        contracts.assignment_replace,
        name="assignment-replace",
    ),
    path("<slug:code>/assets/", assets.asset_list, name="assets"),
    path("<slug:code>/assets/export.<str:fmt>", assets.asset_export, name="assets-export"),
    path("<slug:code>/assets/import/", assets.asset_import, name="assets-import"),
    path("<slug:code>/<slug:part_name>/add/", contracts.part_edit, name="part-add"),
    path("<slug:code>/<slug:part_name>/<int:pk>/edit/", contracts.part_edit, name="part-edit"),
    path("<slug:code>/<slug:part_name>/<int:pk>/delete/", contracts.part_delete, name="part-delete"),
]

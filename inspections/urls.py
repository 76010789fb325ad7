from inspections.views import checks, ledger, manage, offline, tablet

app_name = "inspections"
urlpatterns = [
    *tablet.urlpatterns,
    *offline.urlpatterns,
    *ledger.urlpatterns,
    *manage.urlpatterns,
    *checks.urlpatterns,
]

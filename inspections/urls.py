from inspections.views import checks, ledger, manage, tablet

app_name = "inspections"
urlpatterns = [*tablet.urlpatterns, *ledger.urlpatterns, *manage.urlpatterns, *checks.urlpatterns]

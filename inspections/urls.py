from inspections.views import ledger, manage, offline, tablet

app_name = "inspections"
urlpatterns = [*tablet.urlpatterns, *offline.urlpatterns, *ledger.urlpatterns, *manage.urlpatterns]

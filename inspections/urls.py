from inspections.views import ledger, manage, tablet

app_name = "inspections"
urlpatterns = [*tablet.urlpatterns, *ledger.urlpatterns, *manage.urlpatterns]

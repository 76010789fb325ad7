from incidents.views import changes, incidents, knowledge

app_name = "incidents"
urlpatterns = [*incidents.urlpatterns, *changes.urlpatterns, *knowledge.urlpatterns]

from incidents.views import changes, exports, incidents, knowledge

app_name = "incidents"
urlpatterns = [*incidents.urlpatterns, *changes.urlpatterns, *knowledge.urlpatterns, *exports.urlpatterns]

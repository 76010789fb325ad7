from incidents.views import changes, escalation, exports, incidents, knowledge

app_name = "incidents"
urlpatterns = [
    *incidents.urlpatterns,
    *changes.urlpatterns,
    *knowledge.urlpatterns,
    *escalation.urlpatterns,
    *exports.urlpatterns,
]

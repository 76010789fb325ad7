"""The administrator's pages (系统管理): /administration/..."""

from django.urls import path

from contracts.views import administration, calendar

app_name = "administration"
urlpatterns = [
    path("", calendar.index, name="index"),
    path("calendar/<int:year>/", calendar.year_view, name="calendar-year"),
    path("calendar/<int:year>/notice/", calendar.notice, name="calendar-notice"),
    path("calendar/<int:year>/complete/", calendar.complete, name="calendar-complete"),
    path("calendar/<int:year>/reopen/", calendar.reopen, name="calendar-reopen"),
    path("rates/", administration.rate_list, name="rates"),
    path("rates/add/", administration.rate_edit, name="rate-add"),
    path("rates/<int:pk>/", administration.rate_edit, name="rate-edit"),
    path("rates/<int:pk>/delete/", administration.rate_delete, name="rate-delete"),
    path("channels/", administration.channel_list, name="channels"),
    path("channels/add/", administration.channel_edit, name="channel-add"),
    path("channels/<int:pk>/", administration.channel_detail, name="channel"),
    path("channels/<int:pk>/edit/", administration.channel_edit, name="channel-edit"),
    path(
        "channels/<int:pk>/disable/", administration.channel_active, {"active": False}, name="channel-disable"
    ),
    path("channels/<int:pk>/enable/", administration.channel_active, {"active": True}, name="channel-enable"),
    path("channels/<int:pk>/test/", administration.channel_test, name="channel-test"),
]

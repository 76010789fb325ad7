from django.urls import path

from identity.views import accounts

app_name = "accounts"
urlpatterns = [
    path("", accounts.account_list, name="list"),
    path("add/", accounts.account_add, name="add"),
    path("<int:pk>/", accounts.account_detail, name="detail"),
    path("<int:pk>/roles/", accounts.account_role_add, name="role-add"),
    path("<int:pk>/roles/<int:membership>/remove/", accounts.account_role_remove, name="role-remove"),
    path("<int:pk>/<slug:action>/", accounts.account_act, name="act"),
]

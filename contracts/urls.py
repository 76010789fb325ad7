from django.urls import path

from contracts.views import assets, contracts

app_name = "contracts"
urlpatterns = [
    path("", contracts.contract_list, name="list"),
    path("<slug:code>/", contracts.contract_detail, name="detail"),
]

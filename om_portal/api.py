"""What every API list shares: pagination, and the router that apps register their viewsets on."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


router = DefaultRouter()

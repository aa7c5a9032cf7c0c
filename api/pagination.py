"""Pagination of the API's lists: `page` and `page_size` (at most 100)."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

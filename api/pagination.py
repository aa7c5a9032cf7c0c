"""Pagination of the API's lists: `page` and `page_size` (at most 100)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive(request, name):
    """The query parameter `name` as a whole number of 1 or more, None when it is not given; a 400
    on the parameter when it is something else."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise ValidationError({name: [_("A whole number of 1 or more.")]})
    return int(value)


class Pagination(PageNumberPagination):
    """Pages of `page_size` (default PAGE_SIZE, at most 100): a `page` or `page_size` that is not a
    whole number of 1 or more is a 400 on it; a page past the last one is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value in self.last_page_strings:
            return value
        return _positive(request, self.page_query_param) or 1

    def get_page_size(self, request):
        size = _positive(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

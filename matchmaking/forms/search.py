"""The search page's form: the text, offers or requests or both, and the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import Direction
from matchmaking.filtersets import SEARCH_MAX_LENGTH


class SearchForm(forms.Form):
    """What the search page reads from its URL, so that a search and its page can be bookmarked."""

    q = forms.CharField(
        label=_("Describe what you offer or need"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    direction = forms.ChoiceField(
        label=_("Show"),
        choices=[
            ("", _("Offers and requests")),
            (Direction.OFFER, _("Offers only")),
            (Direction.REQUEST, _("Requests only")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    page = forms.IntegerField(label=_("Page"), min_value=1, required=False)  # from the links, not shown

    def __init__(self, data=None, **kwargs):
        if data is not None and "direction" not in data:  # both, the default, checked
            data = data.copy()
            data["direction"] = ""
        super().__init__(data, **kwargs)

    def query(self):
        """The URL parameters of this search without its page, for the links to the other pages."""
        return {name: self.cleaned_data[name] for name in ("q", "direction") if self.cleaned_data.get(name)}

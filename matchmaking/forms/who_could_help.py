"""Inviting an organization suggested to help with a request."""

from django import forms


class InviteForm(forms.Form):
    organization = forms.IntegerField(widget=forms.HiddenInput)

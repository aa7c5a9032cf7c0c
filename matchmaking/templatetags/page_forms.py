"""What the pages' forms show besides Django's own rendering: the error summary, after the GOV.UK
pattern (`templates/matchmaking/_errors.html`), and what a closed list of choices holds
(`templates/matchmaking/_choices_field.html`)."""

from django import template

register = template.Library()


@register.simple_tag
def error_links(*forms):
    """(href, label, message) for every error of `forms`: forms, formsets or lists of them (empty
    values are skipped). A form's errors that belong to no visible field link to its first visible
    field, with no label; the others to their own field, with its label, in the order of the page."""
    links = []
    for form in forms:
        if isinstance(form, list | tuple):
            links += error_links(*form)
        elif not form:
            continue
        elif hasattr(form, "management_form"):
            links += _formset_links(form)
        else:
            links += _form_links(form)
    return links


def _formset_links(formset):
    if not formset.is_bound:
        return []
    links = []
    if formset.non_form_errors() and formset.forms:
        first = _first_visible(formset.forms[0])
        links += [(_href(first), "", message) for message in formset.non_form_errors()]
    for form in formset.forms:
        links += _form_links(form)
    return links


def _form_links(form):
    if not form.is_bound or not form.errors:
        return []
    first = _first_visible(form)
    links = [(_href(first), "", message) for message in form.non_field_errors()]
    for field in form:
        if field.is_hidden:
            links += [(_href(first), "", message) for message in field.errors]
        else:
            links += [(_href(field), field.label, message) for message in field.errors]
    return links


def _first_visible(form):
    return next((field for field in form if not field.is_hidden), None)


def _href(field):
    return f"#{field.auto_id}" if field is not None and field.auto_id else ""


@register.filter
def chosen_labels(field):
    """The labels of the choices of a bound field that are chosen (submitted, or initial)."""
    return [str(option.choice_label) for option in field if option.data["selected"]]

"""What the admin pages that write through the services share."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from matchmaking.services.errors import ServiceError


class ServiceAdmin(admin.ModelAdmin):
    """A page whose saves, deletions and actions call services: `create(user=, data=)` and
    `update(obj, user=, data=)` save the form (an update gets the changed fields only), `delete(obj,
    user=)` deletes; a rule a service refuses is shown as an error, and nothing is written (the admin
    saves in one transaction)."""

    create = None
    update = None
    delete = None

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = type(self).update(obj, user=request.user, data=data)
        else:
            saved = type(self).create(user=request.user, data=form.cleaned_data)
        obj.pk = saved.pk
        form.instance = saved

    def save_related(self, request, form, formsets, change):
        """The many-to-many fields were saved by the service, with the object; the inlines of these
        pages are read-only, so their formsets save nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        type(self).delete(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            type(self).delete(obj, user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def service_action(name, step, description, done):
    """An admin action that calls `step(obj, user=...)` for each selected object as the signed-in
    staff member, and says how many it changed and why the others were refused."""

    def action(modeladmin, request, queryset):
        changed = 0
        for obj in queryset:
            try:
                step(obj, user=request.user)
            except ServiceError as error:
                modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
            else:
                changed += 1
        if changed:
            modeladmin.message_user(request, f"{done}: {changed}.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services only: staff read them (and act on them through actions)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Organizations and their members, written through the services (audited; an organization keeps
at least one editor; verifying approves the opportunities that waited for it)."""

from django.contrib import admin

from matchmaking import models
from matchmaking.services import memberships, organizations

from .base import ServiceAdmin


class MembershipInline(admin.TabularInline):
    """Members are added, changed and removed on the Memberships page."""

    model = models.Membership
    extra = 0
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Organization)
class OrganizationAdmin(ServiceAdmin):
    """An organization registered here has the staff member who registers it as its first editor."""

    list_display = ["name", "kind", "country", "verified", "created_at"]
    list_filter = ["kind", "verified", "country__un_group"]
    search_fields = ["name", "country__name", "country__code"]
    autocomplete_fields = ["country"]
    inlines = [MembershipInline]
    create = organizations.create_organization
    update = organizations.update_organization
    delete = organizations.delete_organization


@admin.register(models.Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    delete = memberships.remove_member

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organization"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            saved = memberships.change_role(obj, user=request.user, role=form.cleaned_data["role"])
        else:
            saved = memberships.add_member(
                form.cleaned_data["organization"],
                user=request.user,
                member=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        obj.pk = saved.pk

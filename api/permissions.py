"""Who may change what. Who may *see* what is decided by the querysets (`visible_to`) that every
viewset starts from, so an object a user cannot see is a 404 before these classes are asked."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from matchmaking.models import Organization


def organization_of(obj):
    return obj if isinstance(obj, Organization) else obj.organization


class IsEditorOrReadOnly(BasePermission):
    """Anyone may read what they can see; changing an organization, or anything it owns, takes
    one of its editors or staff. Creating needs a login; the object it is created for is checked
    with `view.check_object_permissions(request, organization)`."""

    message = "Only the organization's editors and staff may change this."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or organization_of(obj).has_editor(request.user)


class IsMemberOrEditor(BasePermission):
    """An organization's members (and staff) see its members; its editors (and staff) change them.
    The view names the organization in `view.organization`."""

    message = "Only the organization's members may see its members, and only its editors change them."

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return view.organization.has_member(request.user)
        return view.organization.has_editor(request.user)


class IsEditor(BasePermission):
    """Signed-in users; on an object, only its organization's editors and staff, for reading too."""

    message = "Only the organization's editors and staff may see or do this."

    def has_permission(self, request, view):
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        return organization_of(obj).has_editor(request.user)

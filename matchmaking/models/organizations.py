"""Who posts: organizations and their members."""

from django.conf import settings
from django.db import models

from matchmaking.choices import MemberRole, OrganizationKind


class OrganizationQuerySet(models.QuerySet):
    def editable_by(self, user):
        """Organizations whose opportunities and members the user may change."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(memberships__user=user, memberships__role=MemberRole.EDITOR)

    def of_member(self, user):
        """Organizations the user belongs to, in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organization(models.Model):
    """Who posts offers and requests: a Party's focal point, an institute, an NGO, an IGO, a private
    company or a secretariat. Staff verify organizations."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganizationKind.choices)
    country = models.ForeignKey("matchmaking.Country", on_delete=models.PROTECT, related_name="organizations")
    website = models.URLField(blank=True)
    verified = models.BooleanField(default=False)
    # The organization's key in the organizations file of `import_opportunities`: importing again
    # reuses the organization instead of adding another.
    import_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    # Staff designate a Party's official national focal point (see services.moderation): only its
    # postings are labelled as made on behalf of that Party.
    focal_point_of = models.ForeignKey(
        "matchmaking.Country",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="focal_points",
        help_text="The Party whose official national focal point this organization is.",
    )
    focal_point_since = models.DateField(null=True, blank=True)
    focal_point_granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def has_editor(self, user):
        return user.is_authenticated and (
            user.is_staff or self.memberships.filter(user=user, role=MemberRole.EDITOR).exists()
        )

    def has_member(self, user):
        return user.is_authenticated and (user.is_staff or self.memberships.filter(user=user).exists())


class Membership(models.Model):
    """A user's role in an organization: editors post and act on matches, viewers only see."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.organization}"


class JoinRequest(models.Model):
    """A user's request to join an organization, until one of its editors accepts or declines it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="unique_join_request")]

    def __str__(self):
        return f"{self.user} asks to join {self.organization}"

"""The admin site. Reference data is edited as it is; every write to opportunities, matches,
outcomes, organizations, memberships and ranking weights goes through `matchmaking.services` (saves,
deletions and actions), so that the admin keeps the same rules and audit log as the pages and the API."""

from . import matches, opportunities, organizations, reference, system  # noqa: F401 - registers the pages

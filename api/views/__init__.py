"""Viewsets of the public API, one module per resource. Each starts from a queryset of what the user
may see, and leaves who may change what to `api.permissions`; every write goes through
`matchmaking.services`."""

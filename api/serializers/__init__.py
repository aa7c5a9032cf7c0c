"""Serializers of the public API, one module per resource. Reference rows are read and written by
their code or slug; validation rules live on the models and in the services and are only called from
here; every write goes through `matchmaking.services`."""

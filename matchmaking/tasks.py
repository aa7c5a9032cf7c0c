"""Background work, through Django's tasks framework (the django-tasks backport). Tasks take
primary keys, never model instances."""

from django_tasks import task


@task()
def embed_opportunity(opportunity_id):
    from matchmaking.services import embed_opportunities

    embed_opportunities([opportunity_id])

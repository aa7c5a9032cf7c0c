from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from matchmaking.management.demo_history import load_history
from matchmaking.models import Objective, Opportunity, Organization
from matchmaking.models.opportunities import NEEDS_FIELDS
from matchmaking.reference import read
from matchmaking.services.opportunities import create_opportunity


class Command(BaseCommand):
    help = (
        "Loads demo postings: the Belgian CHM's real partnership offers and a few requests. "
        "Running it again creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Also add a seeded two-year history of postings, matches and outcomes, for the dashboard.",
        )

    def handle(self, *args, with_history=False, **options):
        data = read("demo.json")
        created = 0
        with transaction.atomic():
            organizations = {}
            for row in data["organizations"]:
                row = dict(row)
                key = row.pop("key")
                row["country_id"] = row.pop("country")
                organizations[key], _ = Organization.objects.get_or_create(name=row.pop("name"), defaults=row)
            for row in data["opportunities"]:
                row = dict(row)
                organization = organizations[row.pop("organization")]
                if Opportunity.objects.filter(organization=organization, title=row["title"]).exists():
                    continue
                row["cooperation_type_id"] = row.pop("cooperation_type")
                row["objectives"] = list(Objective.objects.filter(code__in=row.get("objectives", [])))
                row.setdefault("capacity", 1)
                try:
                    Opportunity.clean_needs(row["direction"], {name: row.get(name) for name in NEEDS_FIELDS})
                    create_opportunity(user=None, data={**row, "organization": organization})
                except Exception as error:
                    raise CommandError(
                        f"Demo posting {row['title']!r} could not be loaded: {error}"
                    ) from error
                created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {created} new postings."))
        if with_history:
            created = load_history()
            self.stdout.write(self.style.SUCCESS(f"Demo history loaded: {created} new postings."))

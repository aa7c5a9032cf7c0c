from django.core.management.base import BaseCommand
from django.db import transaction

from matchmaking.reference import load_reference


class Command(BaseCommand):
    help = "Loads or refreshes the reference data (countries, languages, vocabularies, frameworks)."

    def handle(self, *args, **options):
        with transaction.atomic():
            load_reference()
        self.stdout.write(self.style.SUCCESS("Reference data is up to date."))

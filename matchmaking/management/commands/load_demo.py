from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from matchmaking.management.demo import Demo
from matchmaking.services.embeddings import embed_opportunities


class Command(BaseCommand):
    help = (
        "Loads the demo from matchmaking/data/demo.json: people, among them three demo accounts with "
        "known passwords (printed at the end), organizations of many countries, and offers and requests "
        "in seven languages; with --with-history, the matches between them at every stage, with their "
        "outcomes. Only for development: refused when DJANGO_DEBUG=0. Running it again creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Also play the history of matches of the past months, for the match pages and the dashboard.",
        )

    def handle(self, *args, with_history=False, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates accounts with known passwords, so it is refused when DJANGO_DEBUG=0: "
                "load the demo on a development site only."
            )
        demo = Demo()
        counts = demo.load(with_history=with_history)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded: " + ", ".join(f"{n} new {name}" for name, n in counts.items()) + "."
            )
        )
        if demo.new_postings:
            embedded = embed_opportunities(demo.new_postings)
            self.stdout.write(f"Embedded {embedded} of {len(demo.new_postings)} new postings.")
        self.stdout.write(f"Demo accounts, to sign in at {reverse('web:login')}:")
        for username, password, about in demo.accounts():
            self.stdout.write(f"  {username} / {password}: {about}")

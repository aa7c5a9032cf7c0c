from django.core.management.base import BaseCommand

from matchmaking.services import ranking


class Command(BaseCommand):
    help = (
        "Learns the ranking blend's weights from answered matches (accepted, in progress and completed "
        "against declined and withdrawn) when there are at least RANKER_MIN_LABELS of them, compares "
        "them by cross-validation with the weights in use, and stores them, to be used from then on, "
        "only if they rank the held-out matches better."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-labels", type=int, default=None, help="Instead of RANKER_MIN_LABELS.")
        parser.add_argument("--dry-run", action="store_true", help="Compare, but store nothing.")

    def handle(self, *args, min_labels=None, dry_run=False, **options):
        report = ranking.train_ranker(min_labels=min_labels, dry_run=dry_run)
        self.stdout.write(f"{report.labels} labelled matches, {report.positives} accepted.")
        style = self.style.SUCCESS if report.stored else self.style.WARNING
        self.stdout.write(style(report.message))

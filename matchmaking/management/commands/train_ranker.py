from django.core.management.base import BaseCommand, CommandError

from matchmaking.recommendations.weights import weights_in_use
from matchmaking.services import ranking
from matchmaking.services.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Learns the ranking blend's weights from answered matches (accepted, in progress and completed "
        "against declined and withdrawn) when there are at least RANKER_MIN_LABELS of them, compares "
        "them by cross-validation with the weights in use, and stores them, to be used from then on, "
        "only if they rank the held-out matches better by RANKER_MIN_GAIN and keep at least "
        "RANKER_SEMANTIC_FLOOR of the weight on the meaning of the texts. --revert goes back to the "
        "weights used before."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-labels", type=int, default=None, help="Instead of RANKER_MIN_LABELS.")
        parser.add_argument("--dry-run", action="store_true", help="Compare, but store nothing.")
        parser.add_argument(
            "--revert", action="store_true", help="Stop using the weights in use: go back to the ones before."
        )

    def handle(self, *args, min_labels=None, dry_run=False, revert=False, **options):
        if revert:
            try:
                dropped = ranking.revert_weights()
            except ServiceError as error:
                raise CommandError(error.message) from error
            _weights, provenance = weights_in_use()
            now = (
                f"learned #{provenance['id']}" if provenance["source"] == "learned" else provenance["source"]
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Weights #{dropped.pk} are no longer used; ranking uses the {now} weights."
                )
            )
            return
        report = ranking.train_ranker(min_labels=min_labels, dry_run=dry_run)
        self.stdout.write(f"{report.labels} labelled matches, {report.positives} accepted.")
        style = self.style.SUCCESS if report.stored else self.style.WARNING
        self.stdout.write(style(report.message))

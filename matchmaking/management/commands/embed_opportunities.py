from django.core.management.base import BaseCommand
from tqdm import tqdm

from matchmaking.choices import EmbeddingStatus
from matchmaking.models import Opportunity, OpportunityEmbedding
from matchmaking.services.embeddings import embed_opportunities


class Command(BaseCommand):
    help = (
        "Embeds the postings whose text or embedding model changed since their last embedding "
        "(all of them after a model change), and those whose embedding failed, in batches, with a "
        "progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=64)
        parser.add_argument("--force", action="store_true", help="Embed every posting again.")

    def handle(self, *args, batch_size, force, **options):
        ids = list(Opportunity.objects.order_by("id").values_list("id", flat=True))
        with tqdm(total=len(ids), unit="posting", disable=options["verbosity"] == 0) as bar:
            done = embed_opportunities(ids, batch_size=batch_size, force=force, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"Embedded {done} of {len(ids)} postings; the others were up to date."
                if done < len(ids)
                else f"Embedded {done} of {len(ids)} postings."
            )
        )
        failed = OpportunityEmbedding.objects.filter(status=EmbeddingStatus.FAILED).count()
        if failed:
            self.stderr.write(f"{failed} posting(s) could not be embedded; run this again to retry them.")

import datetime

from django.core.management.base import BaseCommand

from matchmaking.services import alerts, followups
from matchmaking.services.embeddings import retry_embeddings


class Command(BaseCommand):
    help = (
        "The daily run, from cron or a scheduler: closes the open postings past their end date, follows "
        "matches up (expires the proposals left unanswered for PROPOSAL_EXPIRY_DAYS, reminds the side that "
        "must answer a proposal after PROPOSAL_REMINDER_DAYS, and both sides of an accepted match not "
        "started after START_REMINDER_DAYS), reminds editors of postings ending within "
        "EXPIRY_REMINDER_DAYS, and sends each organization one digest of the new postings that score at "
        "least MATCH_ALERT_THRESHOLD for one of its open postings (never the same suggestion twice); first "
        "embeds again the postings whose embedding failed. Safe to run more than once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, default=None, help="Run as of this day (YYYY-MM-DD)."
        )

    def handle(self, *args, date=None, **options):
        # Opportunities whose embedding failed (or whose task was lost) are ranked with vectors again.
        retried = retry_embeddings()
        if retried:
            self.stdout.write(f"Embedded {retried} posting(s) whose embedding had failed or was lost.")
        closed = alerts.close_expired_opportunities(today=date)
        expired = followups.expire_proposals(today=date)
        proposals = followups.remind_proposals(today=date)
        unstarted = followups.remind_unstarted(today=date)
        reminded = alerts.remind_expiring_opportunities(today=date)
        digests = alerts.send_suggestion_digests(today=date)
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed {closed} expired posting(s), reminded about {reminded} ending soon, "
                f"sent {digests} digest(s).\n"
                f"Expired {expired} unanswered proposal(s), reminded about {proposals} waiting for an "
                f"answer and {unstarted} accepted match(es) not started."
            )
        )

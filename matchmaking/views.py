from django.shortcuts import render

from matchmaking.choices import Direction, OpportunityStatus
from matchmaking.models import Opportunity


def home(request):
    visible = Opportunity.objects.visible_to(request.user).select_related("organization", "cooperation_type")
    open_postings = visible.filter(status=OpportunityStatus.OPEN)
    context = {
        "offers": open_postings.filter(direction=Direction.OFFER)[:5],
        "requests": open_postings.filter(direction=Direction.REQUEST)[:5],
        "offer_count": open_postings.filter(direction=Direction.OFFER).count(),
        "request_count": open_postings.filter(direction=Direction.REQUEST).count(),
    }
    return render(request, "matchmaking/home.html", context)

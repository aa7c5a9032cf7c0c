import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
application = get_wsgi_application()

# A process serves once its recommendation index is built and its embedding model loaded.
from matchmaking.recommendations.index import warm  # noqa: E402

warm()

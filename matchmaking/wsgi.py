import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
application = get_wsgi_application()

# A process serves once its URLs are read (else the first request reads them), its recommendation
# index is built and its embedding model loaded.
from django.urls import resolve  # noqa: E402

from matchmaking.recommendations.index import warm  # noqa: E402

resolve("/")
warm()

import os

# One BLAS thread per request thread: a web process ranks and embeds small arrays, and OpenBLAS's own
# threads only fight the request threads (and the other processes) for the cores. Measured on 2 cores
# shared with other work (bench/bench_search.py, 10,000 postings): search page p95 228 ms with
# OpenBLAS's default threads, 66 ms with one. Set before numpy is first imported; the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
application = get_wsgi_application()

# A process serves once its recommendation index is built and its embedding model loaded.
from matchmaking.recommendations.index import warm  # noqa: E402

warm()

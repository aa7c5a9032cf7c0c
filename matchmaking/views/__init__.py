"""The server-rendered pages, one module per area; `matchmaking/web_urls.py` routes them."""

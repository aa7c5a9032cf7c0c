from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    verbose_name = "CHM cooperation matchmaking"

    def ready(self):
        from matchmaking.recommendations import checks  # noqa: F401 - registers the system checks

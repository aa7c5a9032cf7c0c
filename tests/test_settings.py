import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_refuses_to_start_without_secret_key_in_production():
    result = run_check(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_starts_in_production_with_a_secret_key():
    result = run_check(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_a_boolean_typo_stops_start_up_naming_the_variable():
    result = run_check(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_SECURE_COOKIES="ture")
    assert result.returncode != 0
    assert "DJANGO_SECURE_COOKIES='ture' is not a valid bool" in result.stderr


def test_an_integer_typo_stops_start_up_naming_the_variable():
    result = run_check(OUTCOME_EDIT_DAYS="thirty")
    assert result.returncode != 0
    assert "OUTCOME_EDIT_DAYS='thirty' is not a valid int" in result.stderr


def test_a_follow_up_delay_below_one_day_stops_start_up():
    result = run_check(PROPOSAL_EXPIRY_DAYS="0")
    assert result.returncode != 0
    assert "PROPOSAL_EXPIRY_DAYS=0 is below its minimum, 1." in result.stderr


def settings_seen(environment):
    """(DEBUG, SECRET_KEY) as a new process sees them."""
    script = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "matchmaking.settings"},
        capture_output=True,
        text=True,
    )
    return run.stdout.split() or run.stderr


def test_settings_are_read_from_an_env_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=0\nDJANGO_SECRET_KEY=from-the-file\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    environment["DJANGO_ENV_FILE"] = str(env_file)
    assert settings_seen(environment) == ["False", "from-the-file"]
    assert settings_seen({**environment, "DJANGO_DEBUG": "1"}) == ["True", "from-the-file"]

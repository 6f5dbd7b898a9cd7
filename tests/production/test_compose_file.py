"""compose.yaml, read as compose reads it: every service the production stack needs, each with
a health check, the volumes that hold the shop's data, settings from one .env file, and
deploy/.env.example explaining every variable the stack is given."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_every_service_of_the_stack_with_a_health_check():
    assert set(SERVICES) == {"release", "web", "worker", "beat", "db", "redis", "caddy"}
    for name, service in SERVICES.items():
        if name != "release":  # a one-shot step: compose waits for it to finish instead
            assert service["healthcheck"]["test"], name
    assert "healthz" in open(ROOT / "deploy/healthcheck.py").read()
    assert SERVICES["web"]["healthcheck"]["test"][-1] == "web"
    assert "inspect ping" in SERVICES["worker"]["healthcheck"]["test"][-1]
    assert "pg_isready" in SERVICES["db"]["healthcheck"]["test"][-1]
    assert "redis-cli" in SERVICES["redis"]["healthcheck"]["test"][-1]


def test_release_migrates_and_collects_before_the_processes_start():
    assert "migrate" in (ROOT / "deploy/release.sh").read_text()
    assert "collectstatic" in (ROOT / "deploy/release.sh").read_text()
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["release"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy"
        assert SERVICES[name]["env_file"] == "${ENV_FILE:-.env}"
    assert SERVICES["caddy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_data_lives_in_volumes_and_caddy_serves_static_and_media_from_them():
    assert set(COMPOSE["volumes"]) >= {"db", "media", "static", "caddy_data", "caddy_config"}
    assert "db:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    caddy = {
        v["source"] if isinstance(v, dict) else v.split(":")[0]
        for v in SERVICES["caddy"]["volumes"]
    }
    assert {"static", "media", "caddy_data", "caddy_config"} <= caddy
    assert {"80:80", "443:443"} <= set(SERVICES["caddy"]["ports"])
    caddyfile = (ROOT / "deploy/Caddyfile").read_text()
    assert "{$SITE_ADDRESS}" in caddyfile and "reverse_proxy" in caddyfile
    assert "immutable" in caddyfile
    assert "network_mode" not in (ROOT / "compose.yaml").read_text()  # host networking: tests only


def test_every_variable_of_the_stack_is_explained_in_the_example():
    example = (ROOT / "deploy/.env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]+)", (ROOT / "compose.yaml").read_text())) - {
        "ENV_FILE"
    }
    assert used <= named, used - named
    required = {"SITE_DOMAIN", "ALLOWED_HOSTS", "SECRET_KEY", "POSTGRES_PASSWORD", "SMS_PROVIDER"}
    assert required <= named
    # Each variable, or the block of variables it belongs to, has a comment above it.
    lines = example.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            j = i - 1
            while j >= 0 and re.match(r"^[A-Z][A-Z0-9_]+=", lines[j]):
                j -= 1
            assert j >= 0 and lines[j].startswith("#"), line

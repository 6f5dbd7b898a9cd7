"""The production stack in containers, for real: deploy/build-base-images.sh builds the images
from Debian's packages, compose.yaml (with compose.test.yaml: the host's network, 127.0.0.1
only, plain HTTP) runs release, web, worker, beat, PostgreSQL, Redis and Caddy, and a page, a
static file and a product photo are fetched through Caddy.

Needs Docker and compose (.ci/containers installs Debian's and starts the daemon); marked
`containers`, so the ordinary suite leaves it to that script. About 6 minutes on a fresh
machine (base images 3m15s; wheels and the app image 1m30s to 4 min; the stack up 40 to 80 s,
on 2 shared cores), 3m40s once the base images exist.
"""

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTS = {
    "TEST_WEB_PORT": os.environ.get("TEST_WEB_PORT", "9301"),
    "TEST_DB_PORT": os.environ.get("TEST_DB_PORT", "9302"),
    "TEST_REDIS_PORT": os.environ.get("TEST_REDIS_PORT", "9303"),
    "TEST_CADDY_PORT": os.environ.get("TEST_CADDY_PORT", "9380"),
    "TEST_CADDY_ADMIN_PORT": os.environ.get("TEST_CADDY_ADMIN_PORT", "9319"),
}
PROXY = f"http://127.0.0.1:{PORTS['TEST_CADDY_PORT']}"
PROJECT = f"shoptest{os.getpid()}"

pytestmark = pytest.mark.containers


def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:  # noqa: S607
        return ["docker", "compose"]
    return [shutil.which("docker-compose") or "docker-compose"]


def run(*args, timeout=900, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - our scripts and docker, with our arguments
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def get(path: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(PROXY + path, headers=headers)  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def stack():
    timings = {}
    began = time.monotonic()
    run("deploy/build-base-images.sh")
    timings["base images"] = time.monotonic() - began
    began = time.monotonic()
    run("deploy/build-wheels.sh")
    run("docker", "build", "--network", "host", "-t", "shop-app:latest", ".")
    timings["app image"] = time.monotonic() - began

    folder = Path(tempfile.mkdtemp(prefix="shop-stack-"))
    env_file = folder / "stack.env"
    env_file.write_text(
        "SITE_DOMAIN=127.0.0.1\n"
        "ALLOWED_HOSTS=127.0.0.1,localhost\n"
        f"CSRF_TRUSTED_ORIGINS={PROXY}\n"
        f"SECRET_KEY=stack-test-{os.urandom(30).hex()}\n"
        f"POSTGRES_PASSWORD=stack{os.urandom(8).hex()}\n"
        # Nothing of a test leaves the machine: SMS kept (named by class, on purpose) and
        # mail to a port where no server listens (the messages wait in their table).
        "SMS_PROVIDER=messaging.sms.console.ConsoleSms\n"
        "EMAIL_HOST=127.0.0.1\nEMAIL_PORT=9399\n"
        "SHOP_LANGUAGE=en\nWEB_CONCURRENCY=2\nWORKER_CONCURRENCY=1\n"
    )
    compose = [
        *compose_command(),
        "-p",
        PROJECT,
        "--env-file",
        str(env_file),
        "-f",
        "compose.yaml",
        "-f",
        "compose.test.yaml",
    ]
    env = {**os.environ, **PORTS, "ENV_FILE": str(env_file)}
    began = time.monotonic()
    try:
        run(*compose, "up", "-d", env=env, timeout=600)
        for _ in range(120):
            try:
                if get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        timings["stack up"] = time.monotonic() - began
        print("timings (s):", {k: round(v) for k, v in timings.items()})
        yield compose, env
    finally:
        logs = subprocess.run(  # noqa: S603 - docker with our arguments
            [*compose, "logs", "--tail", "40"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        print(logs.stdout[-6000:])
        subprocess.run(  # noqa: S603 - docker with our arguments
            [*compose, "down", "-v", "--remove-orphans"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_the_stack_serves_pages_static_files_and_photos_through_caddy(stack):
    compose, env = stack
    status, headers, body = get("/healthz")
    assert status == 200, body
    assert b'"database": "ok"' in body and b'"broker": "ok"' in body
    assert "Caddy" in headers.get("Server", "")

    # Every service is up, and healthy where it has a check.
    states = run(*compose, "ps", env=env).stdout
    for service in ("web", "worker", "beat", "db", "redis", "proxy"):
        line = next(
            row for row in states.splitlines() if f"_{service}_" in row or f"-{service}-" in row
        )
        assert "Up" in line and "unhealthy" not in line, states
    assert "Exit 0" in next(r for r in states.splitlines() if "release" in r), states

    # A product with a photo, through the shop's image pipeline, in the web container.
    script = (ROOT / "tests/production/stack_product.py").read_text()
    out = run(
        *compose, "exec", "-T", "web", "python", "manage.py", "shell", env=env, input=script
    ).stdout
    slug, photo = next(line for line in out.splitlines() if line.startswith("STACK")).split()[1:]

    status, headers, body = get(f"/products/{slug}/", **{"Accept-Language": "en"})
    assert status == 200 and b"Linen shirt" in body
    large = photo.replace("-400.webp", "-1200.webp")
    assert large.encode() in body  # the page shows the photo Caddy serves

    status, headers, body = get(photo)
    assert status == 200 and body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert headers["Content-Type"] == "image/webp"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"

    home = get("/")[2].decode()
    css = next(
        part.split('"')[0] for part in home.split('href="')[1:] if part.startswith("/static/css/")
    )
    status, headers, body = get(css)
    assert status == 200 and b"--" in body  # the stylesheet, with its design tokens
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"  # hashed name
    assert get("/static/css/site.css")[1]["Cache-Control"] == "public, max-age=3600"

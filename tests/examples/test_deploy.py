"""examples/deploy: the nginx.conf is valid for Debian's nginx (Docker itself cannot run here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.helpers import REPO_ROOT

DEPLOY = REPO_ROOT / "examples" / "deploy"


def test_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx missing: scripts/setup.sh installs Debian's nginx"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    conf = (DEPLOY / "nginx.conf").read_text()
    # nginx -t resolves upstream names: point the compose service names at loopback ports.
    conf = conf.replace("/etc/nginx/certs/", f"{tmp_path}/")
    conf = re.sub(r"server mcp([123]):8000", r"server 127.0.0.1:800\1", conf)
    target = tmp_path / "nginx.conf"
    target.write_text(conf)
    done = subprocess.run([nginx, "-t", "-c", str(target)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_deploy_files_agree() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "USER" in dockerfile and "HEALTHCHECK" in dockerfile
    compose = (DEPLOY / "docker-compose.yml").read_text()
    nginx = (DEPLOY / "nginx.conf").read_text()
    for replica in ("mcp1", "mcp2", "mcp3"):
        assert replica in compose
        assert f"server {replica}:8000" in nginx
    # Shared state on Redis, so every request is balanced by load (no sticky pool).
    assert "MCP_USE_REDIS_URL: redis://redis:6379/0" in compose and "image: redis" in compose
    assert "least_conn;" in nginx and "ip_hash;" not in nginx
    assert '".[redis]"' in dockerfile

"""The proxies the README's deploy section documents, run from the files in deploy/: Debian's
nginx with deploy/nginx.conf and Debian's Caddy with deploy/Caddyfile, each changed only in
its ports, a throwaway certificate (no ACME) and the upstream port, as the test's own process
on loopback. Used by tests/deploy (through each proxy) and tests/ops (`gvo doctor` through one).
"""

import os
import re
import signal
import ssl
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from replication.conftest import free_port
from serving import stop, throwaway_certificate, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX, CADDY = "/usr/sbin/nginx", "/usr/bin/caddy"


def replace_once(text: str, old: str, new: str, where: str) -> str:
    """`text` with `old` replaced by `new`; fails unless `old` occurs exactly once, so a
    deploy file that changes shape fails the test instead of quietly testing something else."""
    n = text.count(old)
    assert n == 1, f"{where}: expected one {old!r}, found {n}"
    return text.replace(old, new)



# -- the proxies, from the files in deploy/ --------------------------------------------------


def render_nginx(text: str, *, http_port: int, https_port: int, cert, key,
                 upstream_port: int) -> str:
    """deploy/nginx.conf with loopback ports, the throwaway certificate and GVO's port."""
    changes = [
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"\n\s*listen \[::\]:80;", ""),  # the test's machine may have no IPv6
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"\n\s*listen \[::\]:443 ssl http2;", ""),
        (r"ssl_certificate\s+/\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key\s+/\S+;", f"ssl_certificate_key {key};"),
        (r"proxy_pass http://127\.0\.0\.1:8000;", f"proxy_pass http://127.0.0.1:{upstream_port};"),
    ]
    for pattern, replacement in changes:
        text, n = re.subn(pattern, replacement, text)
        assert n == 1, f"deploy/nginx.conf: expected one {pattern!r}, found {n}"
    return text


def render_caddy(text: str, *, http_port: int, https_port: int, cert, key,
                 upstream_port: int) -> str:
    """deploy/Caddyfile with loopback ports, the throwaway certificate (so no ACME), no
    admin API and GVO's port."""
    where = "deploy/Caddyfile"
    text = replace_once(text, "admin localhost:2019",
                        f"admin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
                        "\tdefault_bind 127.0.0.1", where)
    text = replace_once(text, "\ttls {", f"\ttls {cert} {key} {{", where)
    return replace_once(text, "reverse_proxy 127.0.0.1:8000",
                        f"reverse_proxy 127.0.0.1:{upstream_port}", where)


def nginx_main(work, site) -> str:
    """nginx's top-level file around the site: everything of nginx's own under work."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read tmp_path
    temp = "\n".join(f"    {kind}_temp_path {work / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\n{user}worker_processes 1;\npid {work / 'nginx.pid'};\n"
            f"error_log {work / 'error.log'} warn;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n    access_log {work / 'access.log'};\n{temp}\n"
            f"    include {site};\n}}\n")


def start_proxy(name: str, work, upstream_port: int):
    """(process, https port, http port, TLS context) of one proxy in front of upstream_port."""
    program = {"nginx": NGINX, "caddy": CADDY}[name]
    if not os.access(program, os.X_OK):
        pytest.fail(f"{program} is missing: these tests run Debian's {name}. Run `make test` "
                    f"(it installs it) or `sudo apt-get install {name}`.", pytrace=False)
    work.mkdir()
    cert, key = throwaway_certificate(work)
    http_port, https_port = free_port(), free_port()
    ports = {"http_port": http_port, "https_port": https_port, "cert": cert, "key": key,
             "upstream_port": upstream_port}
    if name == "nginx":
        site = work / "gvo-site.conf"
        site.write_text(render_nginx((DEPLOY / "nginx.conf").read_text(), **ports))
        conf = work / "nginx.conf"
        conf.write_text(nginx_main(work, site))
        argv, env = [NGINX, "-p", f"{work}/", "-c", str(conf), "-e", str(work / "error.log")], None
    else:
        conf = work / "Caddyfile"
        conf.write_text(render_caddy((DEPLOY / "Caddyfile").read_text(), **ports))
        argv = [CADDY, "run", "--config", str(conf), "--adapter", "caddyfile"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
               "XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config")}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(https_port, proc, name)
    return proc, https_port, http_port, ssl.create_default_context(cafile=str(cert))


def stop_proxy(name: str, proc) -> None:
    """nginx's graceful shutdown is SIGQUIT; Caddy's SIGTERM."""
    stop(proc, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)



@contextmanager
def proxy_in_front(name: str, work: Path, upstream_port: int):
    """One proxy ("nginx" or "caddy") in front of 127.0.0.1:upstream_port for the block:
    yields (https port, http port, TLS context trusting its certificate)."""
    proc, https_port, http_port, tls = start_proxy(name, work, upstream_port)
    try:
        yield https_port, http_port, tls
    finally:
        stop_proxy(name, proc)

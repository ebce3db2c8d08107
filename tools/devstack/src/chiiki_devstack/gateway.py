"""Render the nginx gateway's configuration from settings and find the nginx it runs on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from chiiki_devstack import certs
from chiiki_devstack.config import REPO_ROOT, SERVICES, StackSettings

GATEWAY_DIR = REPO_ROOT / "gateway"
NJS_MODULE_CANDIDATES = (
    Path("/usr/lib/nginx/modules/ngx_http_js_module.so"),
    Path("/usr/lib64/nginx/modules/ngx_http_js_module.so"),
    Path("/usr/local/nginx/modules/ngx_http_js_module.so"),
)
# nginx's brotli modules (Debian: libnginx-mod-http-brotli-filter and -static), used when there.
BROTLI_MODULES = ("ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so")
INSTALL_HINT = (
    "nginx with the njs module is required: on Debian/Ubuntu run "
    "`apt-get install nginx libnginx-mod-http-js` (make up does this itself when run as root)."
)


class GatewayUnavailable(RuntimeError):
    pass


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise GatewayUnavailable(INSTALL_HINT)


def njs_module(configured: Path | None = None) -> Path:
    if configured:
        return configured
    for candidate in NJS_MODULE_CANDIDATES:
        if candidate.exists():
            return candidate
    raise GatewayUnavailable(INSTALL_HINT)


def brotli_modules(njs: Path) -> list[Path]:
    """Both brotli modules beside the njs module, or none (nginx then compresses with gzip)."""
    found = [njs.parent / name for name in BROTLI_MODULES]
    return found if all(path.exists() for path in found) else []


def tls_files(settings: StackSettings) -> tuple[Path, Path]:
    """The gateway's certificate and key: those configured, else the development ones (made
    when missing or expiring)."""
    if settings.gateway_tls_cert and settings.gateway_tls_key:
        return settings.gateway_tls_cert.resolve(), settings.gateway_tls_key.resolve()
    if settings.gateway_tls_cert or settings.gateway_tls_key:
        raise GatewayUnavailable("GATEWAY_TLS_CERT and GATEWAY_TLS_KEY go together")
    files, _ = certs.ensure(settings.cert_dir, settings.gateway_host)
    return files.cert.resolve(), files.key.resolve()


def render(settings: StackSettings) -> Path:
    """Write the rendered config under the run folder and return its path."""
    run_dir = settings.run_dir / "nginx"
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / temp).mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    logs = settings.gateway_log_dir or settings.log_dir
    template = Environment(
        loader=FileSystemLoader(GATEWAY_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - nginx configuration, not HTML
    ).get_template("nginx.conf.j2")
    njs = njs_module(settings.njs_module)
    tls_cert, tls_key = tls_files(settings) if settings.tls else (None, None)
    text = template.render(
        worker_processes=settings.gateway_workers,
        run_dir=run_dir,
        error_log=logs / "gateway-error.log",
        access_log=logs / "gateway-access.log",
        njs_module=njs,
        # A configured module path means nginx runs elsewhere (a container): brotli is then
        # not assumed, since this machine's modules say nothing about that nginx's.
        brotli=[] if settings.njs_module else brotli_modules(njs),
        frontend_dist=settings.frontend_dist.resolve(),
        gateway_dir=settings.gateway_dir or GATEWAY_DIR,
        upstreams={name: settings.upstream_address(name) for name in SERVICES},
        listen_host=settings.gateway_host,
        port=settings.gateway_port,
        tls=settings.tls,
        tls_port=settings.gateway_tls_port,
        tls_cert=tls_cert,
        tls_key=tls_key,
        max_body_size=settings.gateway_max_body_size,
        connect_timeout=settings.gateway_connect_timeout,
        read_timeout=settings.gateway_read_timeout,
        auth_cache=settings.gateway_auth_cache,
        anonymous_read=settings.anonymous_read,
        read_cache=settings.gateway_read_cache,
        read_cache_max_size=settings.gateway_read_cache_max_size,
        trusted_proxies=settings.gateway_trusted_proxies,
        cors_origins=settings.cors_allowed_origins,
    )
    path = run_dir / "nginx.conf"
    path.write_text(text)
    return path


def check_config(path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - fixed command
        [nginx_binary(), "-t", "-q", "-p", str(path.parent), "-c", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise GatewayUnavailable(f"nginx rejected {path}:\n{result.stderr}")

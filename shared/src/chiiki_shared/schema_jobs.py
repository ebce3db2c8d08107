"""The database jobs a deployment runs before a rollout, one process each (deploy/k8s, compose).

    python -m chiiki_shared.schema_jobs provision      # admin DATABASE_URL, <SERVICE>_DB_PASSWORD
    python -m chiiki_shared.schema_jobs upgrade auth   # one schema, as its role, in its image

Both are idempotent: provisioning creates only what is missing (and sets the role passwords),
an upgrade to head that is already there does nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pydantic_settings import SettingsConfigDict

from chiiki_shared.migrations import upgrade
from chiiki_shared.provisioning import provision
from chiiki_shared.settings import ServiceSettings

SERVICES = ("auth", "stats", "ingest", "analytics")


def service_settings_class(service: str) -> type[ServiceSettings]:
    """The settings class of ``chiiki_<service>.config`` (the one naming that service)."""
    module = importlib.import_module(f"chiiki_{service}.config")
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value.service_name == service
        ):
            return value
    raise LookupError(f"chiiki_{service}.config has no settings class for {service!r}")


def provisioning_settings(service: str) -> ServiceSettings:
    """What provisioning needs of a service (role, schema, password, audit log), read as the
    service reads it: the shared settings only, so the job needs no other of its secrets."""
    full = service_settings_class(service)

    class Provisioning(ServiceSettings):
        model_config = SettingsConfigDict(
            env_prefix=full.model_config.get("env_prefix", ""),
            extra="ignore",
            populate_by_name=True,
        )
        service_name = full.service_name
        audited = full.audited

    return Provisioning()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chiiki_shared.schema_jobs")
    jobs = parser.add_subparsers(dest="job", required=True)
    jobs.add_parser("provision", help="create the database, the roles and the schemas")
    upgrade_parser = jobs.add_parser("upgrade", help="migrate one service's schema to head")
    upgrade_parser.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)
    if args.job == "provision":
        services = [provisioning_settings(service) for service in SERVICES]
        provision(services[0].database_url, services)
        print(f"provisioned the roles and schemas of {', '.join(SERVICES)}")
    else:
        upgrade(service_settings_class(args.service)())
        print(f"schema {args.service} is at head")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Starts Synapse for the fleet on ECS.

The task definition (infra/src/constructs/homeserver.ts) passes settings as environment variables
and secrets through ECS `secrets`, which the execution role resolves at start. This script

1. renders homeserver.yaml, the bridge's application-service registration and the log config
   into /run/synapse: a task-local volume, because they hold secrets and must never reach EFS;
2. creates the Postgres database with the C locale Synapse insists on, unless it exists;
3. lets Synapse generate its signing key on EFS (/data) the first time;
4. makes a key and a self-signed certificate (task-local, /run/synapse) for the TLS listener the
   load balancer forwards to (ADR 0027; the load balancer does not check target certificates);
5. replaces itself with Synapse, whose environment no longer carries the secrets.

`start.py --render-only DIR` stops after step 1 and writes into DIR. infra's tests use it to
check this config against the local stack's (local-stack/src/synapse-config.ts). Files are JSON,
which is valid YAML.
"""

import json
import os
import re
import socket
import sys

CONFIG_DIR = "/run/synapse"
DATA_DIR = "/data"
PORT = 8008
# The load balancer's way in with TLS (ADR 0027). 8008 stays plain for the task's own health check
# and its Service Connect proxy (ADR 0026); the security groups let nothing else reach it.
TLS_PORT = 8448

# The bridge's identity and exclusive namespaces, as in local-stack/src/synapse-config.ts and
# shared/naming (AGENT_LOCALPART_PREFIX, ROOM_ALIAS_PREFIX); infra/test/homeserver-config.test.ts
# holds the rendered registration equal to the local stack's.
APPSERVICE_ID = "ocf-bridge"
APPSERVICE_SENDER = "fleet-bot"
AGENT_LOCALPART_PREFIX = "agent-"
ROOM_ALIAS_PREFIX = "org-"

SETTINGS = [
    "SYNAPSE_SERVER_NAME",
    "SYNAPSE_PUBLIC_BASEURL",
    "SYNAPSE_APPSERVICE_URL",
    "SYNAPSE_DB_HOST",
    "SYNAPSE_DB_PORT",
    "SYNAPSE_DB_NAME",
]
SECRETS = [
    "SYNAPSE_DB_USER",
    "SYNAPSE_DB_PASSWORD",
    "SYNAPSE_AS_TOKEN",
    "SYNAPSE_HS_TOKEN",
    "SYNAPSE_MACAROON_SECRET_KEY",
    "SYNAPSE_FORM_SECRET",
]


# Set only while an operator bootstraps a human admin (infra: homeserverSharedSecretRegistration);
# without it Synapse has no shared-secret registration at all. The bridge never needs it (ADR 0020).
OPTIONAL_SECRETS = ["SYNAPSE_REGISTRATION_SHARED_SECRET"]

# Synapse workers (infra: synapseGenericWorkers / synapseEventPersisters; docs/deploy.md, "How
# the homeserver scales"). SYNAPSE_WORKERS is JSON: Redis's address, every process that other
# processes call (by Service Connect name, TLS between the proxies) and the event persisters.
# Set on the main process and every worker alike, with the two secrets; unset, one process.
WORKER_SETTINGS = ["SYNAPSE_WORKERS"]
WORKER_SECRETS = ["SYNAPSE_REDIS_PASSWORD", "SYNAPSE_REPLICATION_SECRET"]
# Set on a worker only: its name, and what it serves ("client" behind the load balancer, with
# SYNAPSE_WORKER_NAME_BY_HOST for a service of many tasks; "replication" for an event persister).
WORKER_IDENTITY = ["SYNAPSE_WORKER_NAME", "SYNAPSE_WORKER_NAME_BY_HOST", "SYNAPSE_WORKER_SERVES"]
REPLICATION_PORT = 9093


def read_environment():
    missing = [name for name in SETTINGS + SECRETS if not os.environ.get(name)]
    if missing:
        # Names only: a message about secrets never carries their values.
        sys.exit("start.py: not set: " + ", ".join(missing))
    present = [name for name in OPTIONAL_SECRETS + WORKER_IDENTITY if os.environ.get(name)]
    if os.environ.get("SYNAPSE_WORKERS"):
        missing = [name for name in WORKER_SECRETS if not os.environ.get(name)]
        if missing:
            sys.exit("start.py: SYNAPSE_WORKERS is set but not: " + ", ".join(missing))
        present += WORKER_SETTINGS + WORKER_SECRETS
    elif os.environ.get("SYNAPSE_WORKER_NAME"):
        sys.exit("start.py: SYNAPSE_WORKER_NAME is set but SYNAPSE_WORKERS is not")
    return {name: os.environ[name] for name in SETTINGS + SECRETS + present}


def homeserver_config(env, config_dir):
    return {
        "server_name": env["SYNAPSE_SERVER_NAME"],
        "public_baseurl": env["SYNAPSE_PUBLIC_BASEURL"],
        "report_stats": False,
        "pid_file": os.path.join(config_dir, "homeserver.pid"),
        "listeners": [
            {
                "port": PORT,
                "bind_addresses": ["0.0.0.0"],
                "type": "http",
                "tls": False,
                # Behind the internal load balancer, which sets X-Forwarded-For.
                "x_forwarded": True,
                # The client API, which also carries /health and the admin API (the load
                # balancer refuses /_synapse/admin). No federation: the fleet's homeserver
                # talks to no other server.
                "resources": [{"names": ["client"], "compress": False}],
            },
            {
                # The same client API over TLS, for the load balancer (HTTPS target group).
                "port": TLS_PORT,
                "bind_addresses": ["0.0.0.0"],
                "type": "http",
                "tls": True,
                "x_forwarded": True,
                "resources": [{"names": ["client"], "compress": False}],
            },
        ],
        "tls_certificate_path": os.path.join(config_dir, "tls.crt"),
        "tls_private_key_path": os.path.join(config_dir, "tls.key"),
        "federation_domain_whitelist": [],
        # No federation sender either: there is no other server to send to, and it looked up the
        # hosts of every new event's room for nothing. As in local-stack/src/synapse-config.ts.
        "send_federation": False,
        # Caches and log levels stay at Synapse's defaults: measured locally, bigger caches and
        # quieter logs did not cut its CPU per event (docs/benchmarks.md, "Synapse's settings").
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "database": {
            "name": "psycopg2",
            "args": {
                "user": env["SYNAPSE_DB_USER"],
                "password": env["SYNAPSE_DB_PASSWORD"],
                "dbname": env["SYNAPSE_DB_NAME"],
                "host": env["SYNAPSE_DB_HOST"],
                "port": int(env["SYNAPSE_DB_PORT"]),
                # Encrypted in transit. verify-full would also need the RDS CA bundle in the image.
                "sslmode": "require",
                "cp_min": 5,
                "cp_max": 10,
            },
        },
        "media_store_path": os.path.join(DATA_DIR, "media_store"),
        "signing_key_path": os.path.join(DATA_DIR, "keys", "signing.key"),
        "log_config": os.path.join(config_dir, "log-config.yaml"),
        # Agents get accounts from the bridge (application service), people from an admin.
        "enable_registration": False,
        **(
            {"registration_shared_secret": env["SYNAPSE_REGISTRATION_SHARED_SECRET"]}
            if "SYNAPSE_REGISTRATION_SHARED_SECRET" in env
            else {}
        ),
        "macaroon_secret_key": env["SYNAPSE_MACAROON_SECRET_KEY"],
        "form_secret": env["SYNAPSE_FORM_SECRET"],
        "app_service_config_files": [os.path.join(config_dir, "appservice-ocf-bridge.yaml")],
    }


def with_workers(config, env):
    """The main process's config plus what every process shares when there are workers."""
    if "SYNAPSE_WORKERS" not in env:
        return config
    workers = json.loads(env["SYNAPSE_WORKERS"])
    config = dict(config)
    # The main process's replication listener, which workers call (through Service Connect).
    config["listeners"] = config["listeners"] + [replication_listener()]
    config["redis"] = {
        "enabled": True,
        "host": workers["redis"]["host"],
        "port": int(workers["redis"]["port"]),
        # ElastiCache with in-transit encryption and an auth token; its certificate is Amazon's.
        "use_tls": True,
        "password": env["SYNAPSE_REDIS_PASSWORD"],
    }
    config["worker_replication_secret"] = env["SYNAPSE_REPLICATION_SECRET"]
    # Plain HTTP to the caller's own Service Connect proxy, TLS 1.3 between the proxies.
    config["instance_map"] = {
        name: {"host": where["host"], "port": int(where["port"])}
        for name, where in workers["instances"].items()
    }
    if workers.get("eventWriters"):
        config["stream_writers"] = {"events": list(workers["eventWriters"])}
    return config


def replication_listener():
    return {
        "port": REPLICATION_PORT,
        "bind_addresses": ["0.0.0.0"],
        "type": "http",
        "resources": [{"names": ["replication"], "compress": False}],
    }


def worker_config(env, config_dir, host_name):
    """A worker's own file, read after homeserver.yaml (`--config-path` twice)."""
    name = env["SYNAPSE_WORKER_NAME"]
    if env.get("SYNAPSE_WORKER_NAME_BY_HOST") == "true":
        # Many tasks of one service: each needs a name of its own; the task's host name is.
        name = name + "-" + re.sub(r"[^a-z0-9-]", "-", host_name.split(".")[0].lower())
    serves = env.get("SYNAPSE_WORKER_SERVES", "client")
    if serves == "client":
        listeners = [
            {
                "port": TLS_PORT,
                "bind_addresses": ["0.0.0.0"],
                "type": "http",
                "tls": True,
                "x_forwarded": True,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ]
    elif serves == "replication":
        listeners = [replication_listener()]
    else:
        sys.exit("start.py: SYNAPSE_WORKER_SERVES must be client or replication, not " + serves)
    return {
        "worker_app": "synapse.app.generic_worker",
        "worker_name": name,
        "worker_listeners": listeners,
        "worker_log_config": os.path.join(config_dir, "log-config.yaml"),
    }


def appservice_registration(env):
    server = re.escape(env["SYNAPSE_SERVER_NAME"])
    return {
        "id": APPSERVICE_ID,
        "url": env["SYNAPSE_APPSERVICE_URL"],
        "as_token": env["SYNAPSE_AS_TOKEN"],
        "hs_token": env["SYNAPSE_HS_TOKEN"],
        "sender_localpart": APPSERVICE_SENDER,
        # A big hire creates many users and rooms at once through the bridge.
        "rate_limited": False,
        "namespaces": {
            # Exclusive: nobody but the bridge may create or act as an agent.
            "users": [{"exclusive": True, "regex": "@" + AGENT_LOCALPART_PREFIX + ".*:" + server}],
            # Exclusive: nobody but the bridge may create an org room's alias, so nobody can take
            # one (#org-<dept>-leadership, say) before the bridge needs it.
            "aliases": [{"exclusive": True, "regex": "#" + ROOM_ALIAS_PREFIX + ".*:" + server}],
            "rooms": [],
        },
    }


def log_config():
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s"
            }
        },
        # stderr, where the awslogs driver picks it up.
        "handlers": {"main": {"class": "logging.StreamHandler", "formatter": "precise"}},
        # Synapse logs SQL with its parameters, access tokens included, at DEBUG; never go below INFO.
        "loggers": {"synapse.storage.SQL": {"level": "INFO"}},
        "root": {"level": "INFO", "handlers": ["main"]},
        "disable_existing_loggers": False,
    }


def write_private(path, document):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=2)
        file.write("\n")


def write_self_signed(config, common_name):
    """A fresh RSA key and a self-signed certificate for the TLS listener, made at every start.

    The load balancer encrypts to its targets without checking their certificates, so nothing is
    gained by a CA-issued one; this key never leaves the task. `cryptography` ships with Synapse.
    """
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    descriptor = os.open(config["tls_private_key_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(config["tls_certificate_path"], "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))


def render(env, config_dir):
    os.makedirs(config_dir, mode=0o700, exist_ok=True)
    config = with_workers(homeserver_config(env, config_dir), env)
    write_private(os.path.join(config_dir, "homeserver.yaml"), config)
    write_private(config["app_service_config_files"][0], appservice_registration(env))
    write_private(config["log_config"], log_config())
    paths = [os.path.join(config_dir, "homeserver.yaml")]
    if "SYNAPSE_WORKER_NAME" in env:
        write_private(os.path.join(config_dir, "worker.yaml"), worker_config(env, config_dir, socket.gethostname()))
        paths.append(os.path.join(config_dir, "worker.yaml"))
    return paths


def ensure_database(env):
    """Synapse refuses a database whose collation is not C; RDS creates none for us, so we do."""
    import psycopg2  # in the Synapse image; imported here so --render-only runs anywhere
    from psycopg2 import errors, sql

    connection = psycopg2.connect(
        dbname="postgres",
        user=env["SYNAPSE_DB_USER"],
        password=env["SYNAPSE_DB_PASSWORD"],
        host=env["SYNAPSE_DB_HOST"],
        port=int(env["SYNAPSE_DB_PORT"]),
        sslmode="require",
        connect_timeout=10,
    )
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (env["SYNAPSE_DB_NAME"],))
            if cursor.fetchone() is not None:
                return
            try:
                cursor.execute(
                    sql.SQL(
                        "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
                    ).format(sql.Identifier(env["SYNAPSE_DB_NAME"]))
                )
                print("start.py: created database " + env["SYNAPSE_DB_NAME"], file=sys.stderr)
            except errors.DuplicateDatabase:
                pass  # another start won the race
    finally:
        connection.close()


def main(argv):
    if len(argv) == 3 and argv[1] == "--render-only":
        render(read_environment(), argv[2])
        return
    env = read_environment()
    config_paths = render(env, CONFIG_DIR)
    write_self_signed(homeserver_config(env, CONFIG_DIR), env["SYNAPSE_SERVER_NAME"])
    arguments = [argument for path in config_paths for argument in ("--config-path", path)]
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in SECRETS + OPTIONAL_SECRETS + WORKER_SECRETS
    }
    if "SYNAPSE_WORKER_NAME" in env:
        # A worker: the main process made the database and the signing key (on EFS); it only runs.
        worker = [sys.executable, "-m", "synapse.app.generic_worker"] + arguments
        os.execve(sys.executable, worker, clean)
    ensure_database(env)
    os.makedirs(os.path.join(DATA_DIR, "keys"), mode=0o700, exist_ok=True)
    synapse = [sys.executable, "-m", "synapse.app.homeserver"] + arguments
    # Writes the signing key if it is missing, then exits; a no-op on every later start.
    status = os.spawnv(os.P_WAIT, sys.executable, synapse + ["--generate-keys"])
    if status != 0:
        sys.exit("start.py: generating the signing key failed (exit status %d)" % status)
    os.execve(sys.executable, synapse, clean)


if __name__ == "__main__":
    main(sys.argv)

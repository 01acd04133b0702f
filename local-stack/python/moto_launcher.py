"""Start moto's server for the fleet, with six of its known limits patched first.

    python moto_launcher.py --port 4566 [--host 127.0.0.1] [--state-file PATH]

With --state-file, moto's state (every secret, queue and message, table and item, bus and rule,
ECS cluster and task) survives a restart of this process: see persist_state() and
docs/adr/0015-durable-local-aws-state.md.

The patches change moto in this process only, before it serves its first request. Each checks
that the moto code it relies on still looks the way it did when the patch was written, and stops
the launch with a message naming the patch if not: after a moto upgrade a patch that silently no
longer applies would bring back the slow delivery or the vanishing tasks, far from their cause.
Written for moto 5.2.5 (see requirements.txt); measurements in docs/local-stack.md.
"""

import argparse
import copyreg
import functools
import hashlib
import inspect
import json
import os
import pickle
import sys
import threading
import time
from collections.abc import Mapping

# What the launcher sets ecs::task's transition to. The local stack's readiness probe reads it back
# through moto's state-manager API, which proves the server on the port is this launcher, patched.
# "manual" moves a task one state only after `times` DescribeTasks calls; the largest integer that
# JSON readers in every language agree on means "never" for any test or dev session.
PINNED_ECS_TASK_TRANSITION = {"progression": "manual", "times": 2**53 - 1}


class PatchNoLongerApplies(RuntimeError):
    def __init__(self, patch: str, what_changed: str) -> None:
        super().__init__(
            f"moto_launcher: cannot apply '{patch}': {what_changed}. moto has changed since the "
            "patch was written; update local-stack/python/moto_launcher.py for the moto version "
            "pinned in requirements.txt."
        )


def source_of(function, patch: str) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError) as error:
        raise PatchNoLongerApplies(patch, f"cannot read the source of {function!r} ({error})") from error


def memoise_eventbridge_jsonpath() -> None:
    """Parse each JSONPath expression once instead of once per delivered event.

    moto builds every target's payload with EventTemplateParser.parse, which runs all the
    expressions of the input-path map (eight by default) through jsonpath_ng's parser on every
    event, and that parser rebuilds its PLY lexer and grammar each time: about 2.8 ms of the
    4.5 ms each EventBridge -> SQS delivery took, so a fleet event fanned out to five queues
    spent ~14 ms parsing the same eight strings. The expressions come from a small fixed set
    (the default map, plus rules' InputTransformers) and the parsed JSONPath objects are
    immutable, so an LRU cache is safe and turns the parse into a dict lookup.
    """
    patch = "memoise EventBridge JSONPath parsing"
    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    # moto imports `parse` from jsonpath_ng.ext inside the function, i.e. it reads the module
    # attribute on every call, so replacing that attribute is all it takes.
    if "from jsonpath_ng.ext import parse" not in source_of(EventTemplateParser.parse, patch):
        raise PatchNoLongerApplies(
            patch, "EventTemplateParser.parse no longer imports jsonpath_ng.ext.parse"
        )
    if hasattr(jsonpath_ng.ext.parse, "cache_info"):
        return  # already memoised
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)


def pin_ecs_tasks_running() -> None:
    """Keep an ECS task RUNNING until StopTask, however often it is described.

    moto registers ecs::task with the transition {"progression": "manual", "times": 1}: every
    DescribeTasks counts as one tick, and each tick moves the task one state along RUNNING ->
    DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED. The provisioning and health services
    describe tasks constantly, so healthy agents would "die" after four polls and be restarted
    forever. StopTask sets STOPPED directly, and STOPPED has no successor, so with the transition
    pinned a task is RUNNING from RunTask until StopTask, like a healthy Fargate task.
    """
    patch = "pin ECS tasks RUNNING"
    import moto.ecs.models
    from moto.moto_api import state_manager

    task_cls = getattr(moto.ecs.models, "Task", None)
    if task_cls is None or "ecs::task" not in source_of(task_cls.__init__, patch):
        raise PatchNoLongerApplies(patch, "moto.ecs.models.Task is no longer the 'ecs::task' model")
    if "ecs::task" not in state_manager.get_registered_models():
        raise PatchNoLongerApplies(patch, "moto no longer registers a default ecs::task transition")
    state_manager.set_transition(model_name="ecs::task", transition=PINNED_ECS_TASK_TRANSITION)


def follow_awscurrent_moves() -> None:
    """Make UpdateSecretVersionStage's move of AWSCURRENT what GetSecretValue and the next
    PutSecretValue see, as on AWS.

    moto keeps the current version twice: as the AWSCURRENT label, and as `default_version_id`,
    which GetSecretValue without a stage returns and PutSecretValue demotes to AWSPREVIOUS.
    UpdateSecretVersionStage moves only the label. After the bridge moves AWSCURRENT to the
    version it added an agent's Matrix token to (ADR 0020), moto would still serve the old version
    to a reader that names no stage (the agent container through its ARN, ECS's valueFrom), and
    the credentials service's next rotation would leave two versions labelled AWSCURRENT.
    """
    patch = "follow AWSCURRENT moves"
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.update_secret_version_stage
    if getattr(original, "follows_awscurrent", False):
        return
    source = source_of(original, patch)
    if "default_version_id" in source or "move_to_version_id" not in source:
        raise PatchNoLongerApplies(
            patch, "update_secret_version_stage now handles default_version_id or no longer moves labels"
        )

    @functools.wraps(original)
    def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
        result = original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            secret = self.secrets[secret_id]
            secret.set_default_version_id(move_to_version_id)
        return result

    update_secret_version_stage.follows_awscurrent = True
    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage


def memoise_backend_lookup() -> None:
    """Find each request's moto backend with a dict lookup instead of a directory listing.

    moto's dispatcher looks up the backend of every request while holding its one dispatcher
    lock: it lists moto's own package folder (os.listdir and a stat per entry, some 150 system
    calls) to see whether the host names a module, which an AWS host name never does, then tries
    the URL patterns of every service in turn. Both answer the same for a host every time (the
    folder and the patterns do not change while the server runs), so the listing is taken once
    and each host's answer kept: the lock is held for a dict lookup.
    """
    patch = "memoise backend lookup"
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lookup = DomainDispatcherApplication.get_backend_for_host
    if getattr(lookup, "memoised", False):
        return
    source = source_of(lookup, patch)
    if "backends.list_of_moto_modules()" not in source or "self.backend_url_patterns" not in source:
        raise PatchNoLongerApplies(
            patch, "get_backend_for_host no longer reads list_of_moto_modules and backend_url_patterns"
        )
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    @functools.wraps(lookup)
    def get_backend_for_host(self, host):
        known = self.__dict__.setdefault("_backend_by_host", {})
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    get_backend_for_host.memoised = True
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


class _QueueAttributes(Mapping):
    """A queue's attributes, each worked out when it is read rather than all at once.

    Same keys and values as moto's Queue.attributes (booleans as "true"/"false"), so every
    caller sees what it saw before; only the cost changes.
    """

    def __init__(self, queue) -> None:
        self._queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        if queue.policy:
            names.append("Policy")
        if queue.redrive_policy:
            names.append("RedrivePolicy")
        self._names = dict.fromkeys(names)

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(name)
        if name == "Policy":
            return self._queue.policy
        if name == "RedrivePolicy" and self._queue.redrive_policy:
            return json.dumps(self._queue.redrive_policy)
        from moto.core.utils import camelcase_to_underscores

        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, name) -> bool:
        return name in self._names  # without working the value out

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def lazy_sqs_queue_attributes() -> None:
    """Work out an SQS queue's attributes one at a time, when asked for, not all on every read.

    moto's Queue.attributes builds every attribute at each access, three of them counts that walk
    every message of the queue (visible, in flight, delayed) with a clock read per message. Its
    own SendMessage reads one attribute through it (ContentBasedDeduplication), and
    ReceiveMessage reads MessageRetentionPeriod through it three times for every message it looks
    at: a message costs O(queue length), a receive O(length squared). At 1,000 hires the fleet's
    queues hold a few hundred messages each and moto spent ~60 % of its time in those counts
    (py-spy), which is what stalled the N = 1,000 cascade. The counts are still exact whenever a
    caller asks for them (GetQueueAttributes).
    """
    patch = "lazy SQS queue attributes"
    from moto.sqs.models import Queue

    current = Queue.__dict__.get("attributes")
    if isinstance(current, property) and getattr(current.fget, "lazy", False):
        return
    if not isinstance(current, property):
        raise PatchNoLongerApplies(patch, "moto.sqs.models.Queue.attributes is no longer a property")
    source = source_of(current.fget, patch)
    for expected in ("BASE_ATTRIBUTES", "FIFO_ATTRIBUTES", "KMS_ATTRIBUTES", "RedrivePolicy", "str(result[key]).lower()"):
        if expected not in source:
            raise PatchNoLongerApplies(patch, f"Queue.attributes no longer reads {expected}")

    def attributes(queue) -> Mapping:
        return _QueueAttributes(queue)

    attributes.lazy = True
    Queue.attributes = property(attributes)


def quiet_request_log() -> None:
    """Log what goes wrong in moto's HTTP server, not one line per request.

    werkzeug writes an access line for every request ("POST / HTTP/1.1" 200: every AWS call is a
    POST to /, so the line does not even say which operation), through a logging handler that
    takes a lock and writes to stderr: about a tenth of moto's busy time under the fleet's load.
    Errors (a request that raised) are still logged, at WARNING and above.
    """
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)


# One lock for every DynamoDB write of this process: see serialise_dynamodb_writes().
DYNAMODB_WRITE_LOCK = threading.RLock()
DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def serialise_dynamodb_writes() -> None:
    """Make a conditional DynamoDB write atomic, as on AWS.

    moto's server is threaded, and Table.put_item (update_item, delete_item alike) reads the
    current item, checks the condition, then writes, with no lock: two requests at once can both
    pass `attribute_not_exists(...)` or the same version check, and both write. Every
    compare-and-set in the fleet (the directory's records, provisioning's and health's state, the
    dedupe leases) relies on exactly that check; with it racing, two copies of one outside hire
    handled at the same moment both "created" the agent and published two AgentHired ids (a flake
    of tests/integration/directory.test.ts). Holding one lock across each write call serialises
    check and write; reads stay unlocked, as an item is replaced in one assignment.
    """
    patch = "serialise DynamoDB writes"
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if "raise ConditionalCheckFailed" not in source_of(Table.put_item, patch):
        raise PatchNoLongerApplies(patch, "Table.put_item no longer checks its condition itself")
    for name in DYNAMODB_WRITES:
        original = getattr(DynamoDBBackend, name, None)
        if original is None:
            raise PatchNoLongerApplies(patch, f"DynamoDBBackend has no {name}")
        if getattr(original, "serialised", False):
            continue

        def serialised(*args, _original=original, **kwargs):
            with DYNAMODB_WRITE_LOCK:
                return _original(*args, **kwargs)

        functools.update_wrapper(serialised, original)
        serialised.serialised = True
        setattr(DynamoDBBackend, name, serialised)


# The AWS services the fleet uses (and what ECS leans on), whose moto backends are saved.
PERSISTED_SERVICES = (
    "sqs",
    "dynamodb",
    "secretsmanager",
    "events",
    "ecs",
    "ec2",
    "iam",
    "sts",
    "logs",
    "cloudwatch",
)
SNAPSHOT_FORMAT = 1
SNAPSHOT_INTERVAL_SECONDS = 1.0
# While the state is big, the next save waits this many times as long as the last one took, so
# saving takes at most 1 / (1 + this) of moto's time (a tenth).
SNAPSHOT_SPACING_FACTOR = 9

# Operations that never change what is saved. Anything not listed (and any request moto serves
# outside its usual action dispatch) counts as a change: when in doubt, save. ReceiveMessage is
# special: it changes a queue (receipt handle, visibility, receive count) only when it returns a
# message, and the fleet's idle long polls mostly return none.
READ_ACTION_PREFIXES = ("Get", "Describe", "List")
READ_ACTIONS = frozenset({"Query", "Scan", "BatchGetItem", "TransactGetItems", "TestEventPattern"})


def is_read(action: str) -> bool:
    return action in READ_ACTIONS or action.startswith(READ_ACTION_PREFIXES)


class StateChanges:
    """Whether a request may have changed moto's state since the saver last looked.

    Pickling the whole state is what saving costs (a second of CPU and more for a thousand
    agents' worth), and a busy fleet makes mostly reads: long polls, GetItem, DescribeTasks. So a
    request marks the state changed once it has been served (marking it before would let a save
    that starts in between miss the change), and the saver pickles only when something was marked.
    """

    def __init__(self) -> None:
        self._changed = True  # the first save writes whatever was restored or created at start
        self._lock = threading.Lock()

    def mark(self) -> None:
        with self._lock:
            self._changed = True

    def take(self) -> bool:
        """Whether anything changed since the last take; clears the mark."""
        with self._lock:
            changed, self._changed = self._changed, False
            return changed


STATE_CHANGES = StateChanges()
_request = threading.local()


def track_state_changes() -> None:
    """Mark STATE_CHANGES after every request that may have changed moto's state."""
    patch = "track state changes"
    from moto.core.responses import BaseResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    call_action = BaseResponse.call_action
    serve = DomainDispatcherApplication.__call__
    if getattr(call_action, "tracks_changes", False):
        return
    if "self._get_action()" not in source_of(call_action, patch):
        raise PatchNoLongerApplies(patch, "BaseResponse.call_action no longer reads self._get_action()")

    @functools.wraps(call_action)
    def call_action_tracked(self):
        action = self._get_action()
        _request.classified = True
        changed = True
        try:
            result = call_action(self)
            if action == "ReceiveMessage":
                body = result[2] if isinstance(result, tuple) and len(result) == 3 else b"ReceiptHandle"
                changed = b"ReceiptHandle" in (body.encode() if isinstance(body, str) else bytes(body))
            else:
                changed = not is_read(action)
            return result
        finally:
            if changed:
                STATE_CHANGES.mark()

    @functools.wraps(serve)
    def serve_tracked(self, environ, start_response):
        _request.classified = False
        try:
            return serve(self, environ, start_response)
        finally:
            if not _request.classified:
                STATE_CHANGES.mark()

    call_action_tracked.tracks_changes = True
    BaseResponse.call_action = call_action_tracked
    DomainDispatcherApplication.__call__ = serve_tracked


def log(line: str) -> None:
    print(f"moto_launcher: {line}", file=sys.stderr, flush=True)


def _take_snapshot() -> bytes:
    """Pickle every persisted backend in one go (one pickle keeps references between them)."""
    import moto
    from moto.backends import get_backend

    state = {name: get_backend(name) for name in PERSISTED_SERVICES}
    # Request threads keep changing the backends while we read them; a dict that changes size
    # under pickle raises, and the next try usually lands between two requests.
    for attempt in range(20):
        try:
            return pickle.dumps(
                {"format": SNAPSHOT_FORMAT, "moto": moto.__version__, "backends": state},
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except RuntimeError:
            time.sleep(0.005 * (attempt + 1))
    raise RuntimeError("moto state kept changing while it was being saved")


def _write_atomically(path: str, data: bytes) -> None:
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def restore_state(path: str) -> None:
    """Load a snapshot this launcher wrote, into the live backends, before the first request."""
    import moto
    from moto.backends import get_backend

    if not os.path.exists(path):
        log(f"no saved state at {path}; starting empty")
        return
    begun = time.perf_counter()
    with open(path, "rb") as file:
        # A pickle runs code when loaded: this only ever reads the file this launcher wrote, in the
        # stack's own folder (mode 0600), never anything downloaded or shared.
        snapshot = pickle.load(file)
    if snapshot.get("format") != SNAPSHOT_FORMAT or snapshot.get("moto") != moto.__version__:
        aside = f"{path}.moto-{snapshot.get('moto', 'unknown')}"
        os.replace(path, aside)
        log(
            f"saved state was written by moto {snapshot.get('moto')} (format {snapshot.get('format')}), "
            f"this is moto {moto.__version__}: starting empty, the old state is kept at {aside}"
        )
        return
    for name, saved in snapshot["backends"].items():
        live = get_backend(name)
        live.clear()
        live.update(saved)
    size = os.path.getsize(path)
    log(f"restored state from {path} ({size / 1e6:.1f} MB) in {time.perf_counter() - begun:.2f} s")


def persist_state(path: str):
    """Keep moto's state in `path`: restore it now and save it every second (longer for a big
    state, see keep_saving) when a request may have changed it (STATE_CHANGES).
    Returns the save function, for one last save when the server stops (SIGTERM/SIGINT: moto's
    own handlers turn them into SystemExit). A SIGKILL loses the changes since the last save:
    at most max(1 s, 10 x the time one save takes) of them.

    Why a snapshot and not moto's request recorder (MOTO_ENABLE_RECORDING): a replay re-runs every
    request ever made, reads and long polls included, and regenerates every random id (secret
    ARN suffixes, receipt handles, task ARNs), so ARNs stored in tables would point at nothing and
    deleted messages would come back. See docs/adr/0015-durable-local-aws-state.md.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # moto keeps locks in some models (SQS queues); a lock is state of this process, not data,
    # so a restored model gets a fresh one.
    copyreg.pickle(type(threading.RLock()), lambda _lock: (threading.RLock, ()))
    copyreg.pickle(type(threading.Lock()), lambda _lock: (threading.Lock, ()))
    restore_state(path)

    last_digest = [b""]
    save_lock = threading.Lock()

    def save(always: bool = False) -> bool:
        """Pickle and write the state if a request may have changed it (or `always`); returns
        whether it pickled."""
        with save_lock:
            # Taken before pickling: a change made while pickling marks it again for the next save.
            if not STATE_CHANGES.take() and not always:
                return False
            data = _take_snapshot()
            digest = hashlib.sha256(data).digest()
            if digest != last_digest[0]:
                _write_atomically(path, data)
                last_digest[0] = digest
            return True

    def keep_saving() -> None:
        pause = SNAPSHOT_INTERVAL_SECONDS
        while True:
            time.sleep(pause)
            begun = time.perf_counter()
            try:
                if not save():
                    pause = SNAPSHOT_INTERVAL_SECONDS
                    continue
            except Exception as error:  # never let the saver die quietly: say so and go on
                STATE_CHANGES.mark()  # what it could not save is still to be saved
                log(f"could not save state: {error!r}")
            # Pickling holds the GIL: with a big state, space the saves out so they take at most
            # a tenth of moto's time (300 hires' worth: 3.1 MB, 0.4 s on a loaded 2-core machine).
            pause = max(SNAPSHOT_INTERVAL_SECONDS, SNAPSHOT_SPACING_FACTOR * (time.perf_counter() - begun))

    save()
    threading.Thread(target=keep_saving, name="moto-state-saver", daemon=True).start()
    return save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Loopback by default: moto accepts any credentials, so it must not be reachable from the LAN.
    # The container image runs this with --host 0.0.0.0 behind Docker's port mapping.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", help="keep moto's state in this file across restarts")
    args = parser.parse_args()

    memoise_eventbridge_jsonpath()
    memoise_backend_lookup()
    lazy_sqs_queue_attributes()
    quiet_request_log()
    pin_ecs_tasks_running()
    follow_awscurrent_moves()
    serialise_dynamodb_writes()
    if args.state_file:
        track_state_changes()
    save = persist_state(args.state_file) if args.state_file else None

    from moto.server import main as moto_server_main

    try:
        moto_server_main(["--host", args.host, "--port", str(args.port)])
    finally:
        if save is not None:
            save(always=True)
            log(f"state saved to {args.state_file} on the way out")


if __name__ == "__main__":
    main()

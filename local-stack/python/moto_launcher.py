"""Start moto's server for the fleet, with two of its known limits patched first.

    python moto_launcher.py --port 4566 [--host 127.0.0.1]

Both patches change moto in this process only, before it serves its first request. Each checks
that the moto code it relies on still looks the way it did when the patch was written, and stops
the launch with a message naming the patch if not: after a moto upgrade a patch that silently no
longer applies would bring back the slow delivery or the vanishing tasks, far from their cause.
Written for moto 5.2.5 (see requirements.txt); measurements in docs/local-stack.md.
"""

import argparse
import functools
import inspect

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Loopback by default: moto accepts any credentials, so it must not be reachable from the LAN.
    # The container image runs this with --host 0.0.0.0 behind Docker's port mapping.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    memoise_eventbridge_jsonpath()
    pin_ecs_tasks_running()

    from moto.server import main as moto_server_main

    moto_server_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()

"""Driver for launcher-sqs-attributes.test.ts: moto's SQS queue attributes, before and after the
launcher's lazy_sqs_queue_attributes patch, for queues of every kind; prints JSON."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))

import moto_launcher  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.sqs.models import sqs_backends  # noqa: E402

backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
backend.create_queue("dead-letters")
redrive = {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT_ID}:dead-letters", "maxReceiveCount": 5}
queues = {
    "standard": backend.create_queue("standard"),
    "with a redrive policy and a policy": backend.create_queue(
        "redriven", RedrivePolicy=json.dumps(redrive), Policy='{"Version":"2012-10-17"}'
    ),
    "fifo, content-based deduplication": backend.create_queue(
        "ordered.fifo", FifoQueue="true", ContentBasedDeduplication="true"
    ),
    "kms": backend.create_queue("encrypted", KmsMasterKeyId="alias/test"),
}
for number in range(30):
    backend.send_message("redriven", f"message {number}")
backend.receive_message("redriven", 10, 0, 30)


def snapshot() -> dict:
    return {name: [[key, value] for key, value in queue.attributes.items()] for name, queue in queues.items()}


before = snapshot()
moto_launcher.lazy_sqs_queue_attributes()
moto_launcher.lazy_sqs_queue_attributes()  # a second call changes nothing
after = snapshot()
print(
    json.dumps(
        {
            "patched": getattr(type(queues["standard"]).attributes.fget, "lazy", False),
            "same keys, order and values": before == after,
            "visible / in flight": [
                queues["with a redrive policy and a policy"].attributes["ApproximateNumberOfMessages"],
                backend.get_queue_attributes("redriven", ["ApproximateNumberOfMessagesNotVisible"])[
                    "ApproximateNumberOfMessagesNotVisible"
                ],
            ],
            "ContentBasedDeduplication": queues["fifo, content-based deduplication"].attributes.get(
                "ContentBasedDeduplication"
            ),
            "RedrivePolicy of a queue without one": queues["standard"].attributes.get("RedrivePolicy"),
        }
    )
)

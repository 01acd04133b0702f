"""Drive moto_launcher's state saver through real requests and print, as JSON, whether each
save pickled the state. Run by launcher-state-saves.test.ts with the stack's venv:

    python launcher_state_saves.py PORT STATE_FILE
"""

import json
import os
import sys

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import moto_launcher  # noqa: E402

port, state_file = int(sys.argv[1]), sys.argv[2]

# The test calls save() itself; the background saver must not take the marks in between.
moto_launcher.SNAPSHOT_INTERVAL_SECONDS = 3600
moto_launcher.track_state_changes()
save = moto_launcher.persist_state(state_file)

from moto.server import ThreadedMotoServer  # noqa: E402

server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
client_options = dict(
    endpoint_url=f"http://127.0.0.1:{port}",
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
sqs, dynamodb = boto3.client("sqs", **client_options), boto3.client("dynamodb", **client_options)

pickled = {"nothing since the first save": save()}

url = sqs.create_queue(QueueName="saves")["QueueUrl"]
pickled["CreateQueue"] = save()
sqs.get_queue_url(QueueName="saves")
sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
sqs.list_queues()
sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
pickled["reads and an empty ReceiveMessage"] = save()
sqs.send_message(QueueUrl=url, MessageBody="hello")
pickled["SendMessage"] = save()
handle = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"][0]["ReceiptHandle"]
pickled["ReceiveMessage returning a message"] = save()
sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
pickled["DeleteMessage"] = save()

dynamodb.create_table(
    TableName="saves",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)
pickled["CreateTable"] = save()
dynamodb.put_item(TableName="saves", Item={"id": {"S": "a"}})
pickled["PutItem"] = save()
dynamodb.get_item(TableName="saves", Key={"id": {"S": "a"}})
dynamodb.query(
    TableName="saves",
    KeyConditionExpression="id = :id",
    ExpressionAttributeValues={":id": {"S": "a"}},
)
dynamodb.scan(TableName="saves")
dynamodb.describe_table(TableName="saves")
pickled["GetItem, Query, Scan, DescribeTable"] = save()
try:
    dynamodb.put_item(
        TableName="saves", Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)"
    )
except dynamodb.exceptions.ConditionalCheckFailedException:
    pass
pickled["a refused conditional PutItem (a write: saved to be safe)"] = save()
pickled["on the way out, nothing changed"] = save(always=True)

server.stop()

# What the last write put there is in the file: a fresh process restores it.
moto_launcher.restore_state(state_file)
from moto.backends import get_backend  # noqa: E402

table = get_backend("dynamodb")["123456789012"]["us-east-1"].tables["saves"]
print(json.dumps({"pickled": pickled, "items in the saved table": len(list(table.all_items()))}))

"""EventBridge -> SQS delivery on plain moto vs. moto_launcher.py. Prints figures, asserts nothing.

    .local-stack/venv/bin/python local-stack/python/bench_eventbridge.py [--events 200] [--rules 1]

Starts both servers on free loopback ports, gives each the same bus with --rules rules that each
target their own SQS queue, sends --events single-entry PutEvents calls, and checks that every
queue received every event. moto delivers inside PutEvents, so its latency is the delivery cost.
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

LAUNCHER = Path(__file__).with_name("moto_launcher.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{command} did not answer on port {port} within 30 s")


def run(endpoint: str, events: int, rules: int) -> list[float]:
    kwargs = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    eb, sqs = boto3.client("events", **kwargs), boto3.client("sqs", **kwargs)
    eb.create_event_bus(Name="bench")
    queues = []
    for i in range(rules):
        url = sqs.create_queue(QueueName=f"bench-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        eb.put_rule(Name=f"r{i}", EventBusName="bench", EventPattern=json.dumps({"source": ["bench"]}))
        eb.put_targets(Rule=f"r{i}", EventBusName="bench", Targets=[{"Id": "q", "Arn": arn}])
        queues.append(url)

    latencies = []
    for n in range(events):
        detail = json.dumps({"n": n})
        entry = {"EventBusName": "bench", "Source": "bench", "DetailType": "Tick", "Detail": detail}
        started = time.perf_counter()
        result = eb.put_events(Entries=[entry])
        latencies.append(time.perf_counter() - started)
        if result["FailedEntryCount"]:
            sys.exit(f"PutEvents failed: {result['Entries']}")

    for url in queues:
        count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        delivered = int(count["Attributes"]["ApproximateNumberOfMessages"])
        if delivered != events:
            sys.exit(f"{url} received {delivered} of {events} events")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rules", type=int, default=1)
    args = parser.parse_args()

    servers = {
        "plain moto": lambda port: [sys.executable, "-m", "moto.server", "--port", str(port)],
        "moto_launcher": lambda port: [sys.executable, str(LAUNCHER), "--port", str(port)],
    }
    print(f"{args.events} PutEvents, 1 entry each, {args.rules} rule(s) -> SQS per event")
    for name, command in servers.items():
        port = free_port()
        proc = start(command(port), port)
        try:
            latencies = run(f"http://127.0.0.1:{port}", args.events, args.rules)
        finally:
            proc.terminate()
            proc.wait()
        total = sum(latencies)
        print(
            f"  {name:14} total {total:6.2f} s   {args.events / total:6.1f} events/s   "
            f"median {statistics.median(latencies) * 1000:6.1f} ms   "
            f"p95 {statistics.quantiles(latencies, n=20)[18] * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()

"""Check a running moto_launcher through boto3 (the AWS SDK in the stack's venv) and print JSON.

    .local-stack/venv/bin/python local-stack/python/smoke_moto.py http://127.0.0.1:4566

Covers what the fleet relies on, each call the way the services make it: STS answers; an
EventBridge rule delivers to SQS; an ECS task stays RUNNING however often it is described (the
launcher's pin) and is STOPPED after StopTask. The local stack's integration test asserts on the
output; it is also a quick manual check of a stack started by `pnpm stack up`.
"""

import json
import sys
import uuid

import boto3


def clients(endpoint: str):
    kwargs = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return lambda service: boto3.client(service, **kwargs)


def eventbridge_to_sqs(client) -> bool:
    eb, sqs = client("events"), client("sqs")
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eb.create_event_bus(Name=name)
    eb.put_rule(Name=name, EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    eb.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "queue", "Arn": arn}])
    eb.put_events(
        Entries=[{"EventBusName": name, "Source": name, "DetailType": "Smoke", "Detail": '{"ok": true}'}]
    )
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    return len(messages) == 1 and json.loads(messages[0]["Body"])["detail"] == {"ok": True}


def ecs_task_lifecycle(client) -> dict:
    ecs, ec2 = client("ecs"), client("ec2")
    cluster = ecs.create_cluster(clusterName=f"smoke-{uuid.uuid4().hex[:8]}")["cluster"]["clusterName"]
    # moto's RunTask needs a container `memory` and, for awsvpc, real subnet and security group
    # ids (it creates an ENI); the default VPC has both.
    family = ecs.register_task_definition(
        family="smoke",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "agent", "image": "busybox", "memory": 512}],
    )["taskDefinition"]["family"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    task_arn = ecs.run_task(
        cluster=cluster,
        taskDefinition=family,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )["tasks"][0]["taskArn"]

    def describe() -> str:
        return ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]["lastStatus"]

    described = [describe() for _ in range(5)]
    ecs.stop_task(cluster=cluster, task=task_arn, reason="smoke check")
    return {"describedFiveTimes": described, "afterStopTask": describe()}


def main() -> None:
    client = clients(sys.argv[1])
    print(
        json.dumps(
            {
                "account": client("sts").get_caller_identity()["Account"],
                "eventBridgeDeliversToSqs": eventbridge_to_sqs(client),
                "ecsTask": ecs_task_lifecycle(client),
            }
        )
    )


if __name__ == "__main__":
    main()

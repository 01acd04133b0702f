"""What moto's saved state costs for N hires' worth of requests (ADR 0015). Prints figures;
asserts nothing about time.

    python local-stack/python/bench_durable_state.py 300     (from the repository root, with the venv's python)

Per hire, in-process (moto's mock, no HTTP, so moto's own cost): a secret, 8 items, and for 5
events a PutEvents and for each of 4 queues a message sent, received and deleted plus a dedupe
item written and completed. Then it takes a snapshot as moto_launcher.py does, and loads it back.
The request count times the measured per-request time is what a recorder replay would at least
take.
"""
import os, sys, time, json, pickle, copyreg, threading
os.environ.update(AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3
from moto import mock_aws
import moto_launcher as L
copyreg.pickle(type(threading.RLock()), lambda _l: (threading.RLock, ()))
copyreg.pickle(type(threading.Lock()), lambda _l: (threading.Lock, ()))
H=int(sys.argv[1])
with mock_aws():
    kw=dict(region_name="us-east-1")
    sm=boto3.client("secretsmanager",**kw); sqs=boto3.client("sqs",**kw); ddb=boto3.client("dynamodb",**kw); ev=boto3.client("events",**kw)
    ev.create_event_bus(Name="bench")
    ddb.create_table(TableName="bench", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"}], AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"}], BillingMode="PAY_PER_REQUEST")
    qs=[sqs.create_queue(QueueName=f"q{s}")["QueueUrl"] for s in range(5)]
    t=time.perf_counter(); n=0
    for i in range(H):
        sm.create_secret(Name=f"ocf/agent-{i}", SecretString="x"*64); n+=1
        for k in range(8): ddb.put_item(TableName="bench", Item={"pk":{"S":f"a{i}#{k}"},"d":{"S":"y"*200}}); n+=1
        for step in range(5):
            ev.put_events(Entries=[{"Source":"ocf.b","DetailType":"S","Detail":"{}","EventBusName":"bench"}]); n+=1
            for q in qs[:4]:
                sqs.send_message(QueueUrl=q, MessageBody="z"*600); n+=1
                ddb.put_item(TableName="bench", Item={"pk":{"S":f"d#{q[-2:]}#{i}#{step}"},"s":{"S":"completed"}}); n+=1
                ddb.update_item(TableName="bench", Key={"pk":{"S":f"d#{q[-2:]}#{i}#{step}"}}, UpdateExpression="SET s = :c", ExpressionAttributeValues={":c":{"S":"completed"}}); n+=1
                for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=1).get("Messages",[]):
                    sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"]); n+=1
                n+=1
    print(f"{H} hires: {n} requests in-process in {time.perf_counter()-t:.1f} s ({(time.perf_counter()-t)/n*1000:.2f} ms each)")
    L._take_snapshot()  # the first one also imports the backends' modules (~3 s): not counted
    t=time.perf_counter(); data=L._take_snapshot(); d=time.perf_counter()-t
    print(f"snapshot: {len(data)/1e6:.2f} MB, taken in {d*1000:.0f} ms")
    open("/tmp/survive_state.pickle","wb").write(data)
    t=time.perf_counter(); snap=pickle.loads(data); print(f"restore (unpickle): {(time.perf_counter()-t)*1000:.0f} ms")

"""kafka-python 3.0.12 against the broker: admin CreateTopics, the default (idempotent) producer, groups."""

import threading
import time
from collections import defaultdict

import kafka
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from support import Deadline, assert_compressed, assert_idempotent_sequences, stored_batches, unique_name

PARTITIONS = 4
TIMEOUT_MS = 15_000


def test_client_version():
    assert kafka.__version__ == "3.0.12"


def create(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS)
    try:
        admin.create_topics({topic: {"num_partitions": partitions, "replication_factor": 1}}, timeout_ms=TIMEOUT_MS)
    finally:
        admin.close()


def test_admin_create_topics_and_duplicate(bootstrap):
    topic = unique_name("kp-admin")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS)
    try:
        admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}}, timeout_ms=TIMEOUT_MS)
        assert topic in admin.list_topics()
        [described] = admin.describe_topics([topic])
        assert described["error_code"] == 0
        assert sorted(p["partition_index"] for p in described["partitions"]) == [0, 1, 2]

        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}}, timeout_ms=TIMEOUT_MS)
    finally:
        admin.close()


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_default_producer_round_trip(bootstrap, broker, compression):
    topic = unique_name(f"kp-produce-{compression or 'none'}")
    create(bootstrap, topic)
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=compression, linger_ms=5,
                             request_timeout_ms=TIMEOUT_MS)
    try:
        futures = [(f"key-{i % 25}".encode(), f"value-{i:04d}".encode(),
                    producer.send(topic, key=f"key-{i % 25}".encode(), value=f"value-{i:04d}".encode()))
                   for i in range(500)]
        producer.flush(timeout=20)
        results = [(key, value, future.get(timeout=20)) for key, value, future in futures]
    finally:
        producer.close(timeout=10)

    sent = {}
    for key, value, metadata in results:
        assert metadata.topic == topic and metadata.offset >= 0
        sent[(metadata.partition, metadata.offset)] = (key, value)
    assert len(sent) == 500
    for partition in range(PARTITIONS):
        offsets = sorted(o for p, o in sent if p == partition)
        assert offsets == list(range(len(offsets))), f"partition {partition} offsets not dense"

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                             request_timeout_ms=TIMEOUT_MS)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    received = []
    try:
        deadline = Deadline(30)
        while len(received) < 500 and deadline.running():
            for records in consumer.poll(timeout_ms=200).values():
                received.extend(records)
    finally:
        consumer.close()

    assert len(received) == 500
    assert {(r.partition, r.offset): (r.key, r.value) for r in received} == sent
    by_key = defaultdict(list)  # per key, in the order consumed: the send order
    for record in received:
        by_key[record.key].append(int(record.value.split(b"-")[1]))
    assert by_key == {f"key-{k}".encode(): list(range(k, 500, 25)) for k in range(25)}

    batches = stored_batches(broker.data_dir, topic)
    if compression is None:
        assert {b["codec"] for b in batches} == {"none"}
    else:
        assert_compressed(batches, compression)
    assert_idempotent_sequences(batches)  # kafka-python 3.x is idempotent by default


def send_all(bootstrap: str, topic: str, values) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, request_timeout_ms=TIMEOUT_MS)
    try:
        futures = [producer.send(topic, value=value, partition=partition) for partition, value in values]
        producer.flush(timeout=20)
        for future in futures:
            future.get(timeout=20)
    finally:
        producer.close(timeout=10)


class GroupMember(threading.Thread):
    """One KafkaConsumer polled continuously in its own thread, committing after each processed batch.

    Each member needs its own thread: a kafka-python 3.0.12 consumer that is not inside poll() when
    its JoinGroup/SyncGroup round trip completes throws the result away and sends a new JoinGroup on
    its next poll (BaseCoordinator.join_group_async starts a new task when `_join_task.is_done`). Two
    members polled in turn from one thread therefore keep re-triggering rebalances.
    """

    def __init__(self, bootstrap: str, group: str, topic: str, name: str):
        super().__init__(name=f"member-{name}", daemon=True)
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, client_id=name, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=1000,
            request_timeout_ms=TIMEOUT_MS,
        )
        self.records, self.assignment, self.error = [], [], None
        self._stopping = threading.Event()

    def run(self):
        try:
            self.consumer.subscribe([self.topic])
            while not self._stopping.is_set():
                for tp, records in self.consumer.poll(timeout_ms=200).items():
                    self.records.extend(records)
                    self.consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "", -1)},
                                         timeout_ms=TIMEOUT_MS)
                self.assignment = sorted(tp.partition for tp in self.consumer.assignment())
        except Exception as error:  # reported by stop()
            self.error = error
        finally:
            self.consumer.close(autocommit=False, timeout_ms=5000)

    def stop(self):
        self._stopping.set()
        self.join(timeout=20)

    def check(self):
        assert not self.is_alive(), f"{self.name} did not stop"
        assert self.error is None, f"{self.name} failed: {self.error!r}"


def wait_until(condition, seconds: float, what: str, steady: float = 0.0):
    """Waits until condition() is truthy (continuously for `steady` seconds); returns its last value."""
    deadline, since, value = Deadline(seconds), None, None
    while deadline.running():
        value = condition()
        if value:
            since = since or Deadline(steady)
            if not since.running():
                return value
        else:
            since = None
        time.sleep(0.05)
    pytest.fail(f"timed out after {seconds}s waiting for {what} (last: {value!r})")


def test_two_member_group_splits_and_resumes(bootstrap):
    topic, group = unique_name("kp-group"), unique_name("kp-group")
    create(bootstrap, topic)
    members = [GroupMember(bootstrap, group, topic, name) for name in ("a", "b")]
    try:
        for member in members:
            member.start()

        def split():
            owned = sorted(p for m in members for p in m.assignment)
            return all(m.assignment for m in members) and owned == list(range(PARTITIONS))

        wait_until(split, 30, "both members to share the 4 partitions", steady=1.0)
        assignments = {m.name: m.assignment for m in members}
        assert not any(m.records for m in members)

        first = [(p, f"first-{p}-{i:03d}".encode()) for p in range(PARTITIONS) for i in range(50)]
        send_all(bootstrap, topic, first)
        wait_until(lambda: sum(len(m.records) for m in members) >= len(first), 30, "all records")
        time.sleep(1.0)  # duplicates, if any, would arrive now
    finally:
        for member in members:
            member.stop()
    for member in members:
        member.check()

    received = [(m.name, r) for m in members for r in m.records]
    assert sorted(r.value for _, r in received) == sorted(v for _, v in first), "lost or duplicated"
    by_member, per_partition = defaultdict(set), defaultdict(list)
    for name, record in received:
        by_member[name].add(record.partition)
        per_partition[record.partition].append(record.value)
    assert {n: sorted(p) for n, p in by_member.items()} == assignments
    for p, values in per_partition.items():
        assert values == [f"first-{p}-{i:03d}".encode() for i in range(50)]

    checker = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, request_timeout_ms=TIMEOUT_MS)
    try:
        for p in range(PARTITIONS):
            assert checker.committed(TopicPartition(topic, p), timeout_ms=TIMEOUT_MS) == 50
    finally:
        checker.close(autocommit=False, timeout_ms=5000)

    second = [(p, f"second-{p}-{i:03d}".encode()) for p in range(PARTITIONS) for i in range(10)]
    send_all(bootstrap, topic, second)
    late = GroupMember(bootstrap, group, topic, "c")
    late.start()
    try:
        wait_until(lambda: len(late.records) >= len(second), 30, "the new records")
        time.sleep(1.0)
        assert late.assignment == list(range(PARTITIONS))
    finally:
        late.stop()
    late.check()
    assert sorted(r.value for r in late.records) == sorted(v for _, v in second)

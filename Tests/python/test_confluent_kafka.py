"""confluent-kafka 2.16.1 (librdkafka 2.16.0) against the broker: idempotent lz4 producer, admin, groups."""

from collections import defaultdict

import confluent_kafka
import pytest
from confluent_kafka import Consumer, ConsumerGroupState, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

from support import Deadline, assert_compressed, assert_idempotent_sequences, create_topics, stored_batches, unique_name

PARTITIONS = 4


def test_client_versions():
    assert confluent_kafka.__version__ == "2.16.1"
    assert confluent_kafka.libversion()[0] == "2.16.0"


def produce_all(producer: Producer, topic: str, messages, timeout: float = 20.0) -> dict:
    """Produces (key, value, partition-or-None) tuples; returns {(partition, offset): (key, value)}."""
    delivered, errors = {}, []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[(msg.partition(), msg.offset())] = (msg.key(), msg.value())

    for key, value, partition in messages:
        kwargs = {} if partition is None else {"partition": partition}
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=on_delivery, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(timeout) == 0, "messages still undelivered after flush timeout"
    assert not errors, f"delivery errors: {errors[:5]}"
    return delivered


def make_producer(bootstrap: str, **config) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **config})


def consume_until(consumers: dict, expected: int, seconds: float, on_batch=None, settle: float = 1.0) -> list:
    """Polls every consumer in turn until `expected` messages arrived, then `settle` more seconds
    (so duplicates would show up). Returns [(consumer name, message)]."""
    received = []
    deadline = Deadline(seconds)
    settle_until = None
    while deadline.running():
        for name, consumer in consumers.items():
            batch = consumer.consume(num_messages=500, timeout=0.1)
            for msg in batch:
                assert msg.error() is None, f"{name}: {msg.error()}"
                received.append((name, msg))
            if batch and on_batch is not None:
                on_batch(name, consumer, batch)
        if len(received) >= expected:
            if settle_until is None:
                settle_until = Deadline(settle)
            elif not settle_until.running():
                return received
    pytest.fail(f"received {len(received)} of {expected} messages within {seconds}s")


def test_idempotent_lz4_producer_keyed_order(bootstrap, broker):
    topic = unique_name("cf-lz4")
    create_topics(bootstrap, {topic: PARTITIONS})
    keys = [f"key-{k:02d}".encode() for k in range(40)]
    per_key = 50  # 40 keys x 50 = 2,000 messages, interleaved across keys
    messages = [(key, f"{key.decode()}:{seq:03d}".encode(), None) for seq in range(per_key) for key in keys]

    producer = make_producer(bootstrap, **{"enable.idempotence": True, "compression.type": "lz4", "acks": "all"})
    delivered = produce_all(producer, topic, messages)
    assert len(delivered) == 2000

    # Offsets are dense per partition, and every partition got some keys.
    by_partition = defaultdict(list)
    for partition, offset in delivered:
        by_partition[partition].append(offset)
    assert sorted(by_partition) == list(range(PARTITIONS))
    for offsets in by_partition.values():
        assert sorted(offsets) == list(range(len(offsets)))

    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": unique_name("cf-reader"), "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    try:
        received = [msg for _, msg in consume_until({"reader": consumer}, 2000, seconds=30)]
    finally:
        consumer.close()

    assert len(received) == 2000
    seen = {(m.partition(), m.offset()) for m in received}
    assert len(seen) == 2000, "a message was delivered twice"
    for msg in received:
        assert delivered[(msg.partition(), msg.offset())] == (msg.key(), msg.value())

    sequences, partitions_of_key = defaultdict(list), defaultdict(set)
    for msg in received:
        key, seq = msg.value().decode().split(":")
        assert key.encode() == msg.key()
        sequences[key].append(int(seq))
        partitions_of_key[key].add(msg.partition())
    assert len(sequences) == 40
    for key, seqs in sequences.items():
        assert seqs == list(range(per_key)), f"{key} out of order or incomplete"
        assert len(partitions_of_key[key]) == 1

    # The batches reached the broker (and its log) lz4-compressed and idempotent.
    batches = stored_batches(broker.data_dir, topic)
    assert sum(b["records"] for b in batches) == 2000
    assert_compressed(batches, "lz4")
    assert_idempotent_sequences(batches)


def test_admin_create_topic_with_configs(bootstrap):
    topic = unique_name("cf-admin")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    configs = {"cleanup.policy": "compact", "retention.ms": "3600000"}

    futures = admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config=configs)],
                                  operation_timeout=10, request_timeout=10)
    assert futures[topic].result(timeout=15) is None

    metadata = admin.list_topics(topic, timeout=10)
    assert metadata.topics[topic].error is None
    assert sorted(metadata.topics[topic].partitions) == [0, 1, 2]

    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource], request_timeout=10)[resource].result(timeout=15)
    for name, value in configs.items():
        assert entries[name].value == value
        assert entries[name].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        assert not entries[name].is_default
    assert entries["segment.bytes"].is_default  # an untouched config comes back as a default

    again = admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)],
                                operation_timeout=10, request_timeout=10)
    with pytest.raises(KafkaException) as failure:
        again[topic].result(timeout=15)
    assert failure.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS


def group_consumer(bootstrap: str, group: str, assignor: str, name: str) -> Consumer:
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "partition.assignment.strategy": assignor,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })


def commit_batch(name, consumer, batch):
    """Commits synchronously, after processing, the offset following the last message of each partition."""
    last = {}
    for msg in batch:
        last[(msg.topic(), msg.partition())] = msg.offset()
    consumer.commit(offsets=[TopicPartition(t, p, o + 1) for (t, p), o in last.items()], asynchronous=False)


def wait_for_assignment(consumers: dict, partitions: int, seconds: float = 30.0, steady: float = 1.0) -> dict:
    """Polls until the consumers together own every partition, each at least one, none twice, and
    that assignment has held for `steady` seconds (no rebalance still under way)."""
    deadline, settled, assignments = Deadline(seconds), None, {}
    while deadline.running():
        for consumer in consumers.values():
            assert consumer.poll(0.1) is None, "no messages expected before producing"
        current = {name: sorted(tp.partition for tp in c.assignment()) for name, c in consumers.items()}
        owned = sorted(p for parts in current.values() for p in parts)
        if all(current.values()) and owned == list(range(partitions)):
            if current != assignments:
                settled = Deadline(steady)
            elif not settled.running():
                return current
        else:
            settled = None
        assignments = current
    pytest.fail(f"group did not settle within {seconds}s: {assignments}")


def check_group_description(bootstrap: str, group: str, assignor: str, assignments: dict) -> None:
    """DescribeGroups agrees with the members: stable, the chosen assignor, the same partitions."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    description = admin.describe_consumer_groups([group], request_timeout=10)[group].result(timeout=15)
    assert description.state == ConsumerGroupState.STABLE
    assert description.partition_assignor == assignor
    described = {m.client_id: sorted(tp.partition for tp in m.assignment.topic_partitions)
                 for m in description.members}
    assert described == assignments


@pytest.mark.parametrize("assignor", ["range", "roundrobin", "cooperative-sticky"])
def test_two_member_group_splits_and_resumes(bootstrap, assignor):
    topic, group = unique_name(f"cf-group-{assignor}"), unique_name(f"cf-{assignor}")
    create_topics(bootstrap, {topic: PARTITIONS})
    producer = make_producer(bootstrap)

    members = {name: group_consumer(bootstrap, group, assignor, name) for name in ("a", "b")}
    try:
        for consumer in members.values():
            consumer.subscribe([topic])
        assignments = wait_for_assignment(members, PARTITIONS)
        check_group_description(bootstrap, group, assignor, assignments)

        # 100 messages per partition, produced once the group is stable.
        first = [(f"k{p}".encode(), f"first-{p}-{i:03d}".encode(), p) for p in range(PARTITIONS) for i in range(100)]
        produce_all(producer, topic, first)
        received = consume_until(members, len(first), seconds=30, on_batch=commit_batch)

        assert sorted(m.value() for _, m in received) == sorted(v for _, v, _ in first), "lost or duplicated"
        by_member = defaultdict(set)
        per_partition = defaultdict(list)
        for name, msg in received:
            by_member[name].add(msg.partition())
            per_partition[msg.partition()].append(msg.value())
        assert {n: sorted(p) for n, p in by_member.items()} == assignments
        for p, values in per_partition.items():
            assert values == [f"first-{p}-{i:03d}".encode() for i in range(100)]

        committed = members["a"].committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        assert [tp.offset for tp in committed] == [100] * PARTITIONS
    finally:
        for consumer in members.values():
            consumer.close()

    second = [(f"k{p}".encode(), f"second-{p}-{i:03d}".encode(), p) for p in range(PARTITIONS) for i in range(10)]
    produce_all(producer, topic, second)
    late = group_consumer(bootstrap, group, assignor, "c")
    try:
        late.subscribe([topic])
        received = consume_until({"c": late}, len(second), seconds=30, on_batch=commit_batch)
        assert sorted(tp.partition for tp in late.assignment()) == list(range(PARTITIONS))
    finally:
        late.close()
    assert sorted(m.value() for _, m in received) == sorted(v for _, v, _ in second)

"""Helpers shared by the client test modules (imported directly; Tests/python is on sys.path)."""

import struct
import time
import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic


def unique_name(prefix: str) -> str:
    """A topic or group name that no other test (or earlier run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_topics(bootstrap: str, topics: dict, configs: dict | None = None, timeout: float = 15.0) -> None:
    """Creates {name: partitions} through confluent_kafka's AdminClient and waits for every result."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new_topics = [
        NewTopic(name, num_partitions=partitions, replication_factor=1, config=dict(configs or {}))
        for name, partitions in topics.items()
    ]
    futures = admin.create_topics(new_topics, operation_timeout=timeout, request_timeout=timeout)
    for future in futures.values():
        future.result(timeout=timeout)


class Deadline:
    """A monotonic deadline for polling loops: `while deadline.running(): ...`."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def running(self) -> bool:
        return time.monotonic() < self.end

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())


CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def stored_batches(data_dir, topic: str) -> list:
    """The RecordBatch headers the broker stored for `topic`: [{partition, codec, producer_id, base_sequence, records}].

    Walks the partition logs (data/topics/<topic>/<partition>/<base offset>.log, each a sequence of
    Kafka RecordBatch v2 blobs kept as the producer sent them). This proves that a client really
    compressed (librdkafka silently stops compressing on some brokers) and really was idempotent.
    """
    logs = sorted((Path(data_dir) / "topics" / topic).glob("*/*.log"))
    assert logs, f"no log segments found for {topic} under {data_dir}"
    batches = []
    for log in logs:
        data = log.read_bytes()
        position = 0
        while position + 61 <= len(data):  # 61 bytes = RecordBatch v2 header
            batch_length, = struct.unpack_from(">i", data, position + 8)
            if batch_length == 0:
                break  # zeros: space the broker allocates ahead of the active segment's appends
            magic = data[position + 16]
            assert magic == 2, f"unexpected magic {magic} in {log} at byte {position}"
            attributes, = struct.unpack_from(">h", data, position + 21)
            producer_id, _, base_sequence, records = struct.unpack_from(">qhii", data, position + 43)
            batches.append({
                "partition": int(log.parent.name),
                "codec": CODECS.get(attributes & 0x7, f"codec-{attributes & 0x7}"),
                "producer_id": producer_id,
                "base_sequence": base_sequence,
                "records": records,
            })
            position += 12 + batch_length
    return batches


def assert_idempotent_sequences(batches: list) -> None:
    """One producer id, and per partition the batches' sequence numbers run 0, 1, 2, ... without gaps."""
    assert len({b["producer_id"] for b in batches}) == 1 and batches[0]["producer_id"] >= 0, batches[:3]
    next_sequence = {}
    for batch in batches:
        expected = next_sequence.get(batch["partition"], 0)
        assert batch["base_sequence"] == expected, f"partition {batch['partition']}: {batch} expected {expected}"
        next_sequence[batch["partition"]] = expected + batch["records"]


def assert_compressed(batches: list, codec: str) -> None:
    """Most records travelled in `codec` batches. Both clients send a batch uncompressed when
    compressing would not shrink it, which happens only to batches of one to three tiny records."""
    assert {b["codec"] for b in batches} <= {codec, "none"}, batches
    assert all(b["records"] <= 3 for b in batches if b["codec"] == "none"), batches
    total = sum(b["records"] for b in batches)
    assert sum(b["records"] for b in batches if b["codec"] == codec) > total // 2, batches

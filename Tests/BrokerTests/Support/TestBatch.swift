import KafkaProtocol
import NIOCore

/// One record as a test writes it and expects to read it back.
struct TestRecord: Hashable, Sendable, CustomStringConvertible {
    var key: String?
    var value: String?
    /// Added to the batch's base timestamp.
    var timestampDelta: Int64 = 0

    init(key: String?, value: String?, timestampDelta: Int64 = 0) {
        self.key = key
        self.value = value
        self.timestampDelta = timestampDelta
    }

    var description: String { "\(key ?? "nil")=\(value ?? "nil")@+\(timestampDelta)" }

    /// The records of a decoded batch, in the same form.
    static func of(_ batch: RecordBatch) -> [TestRecord] {
        batch.records.map { record in
            TestRecord(
                key: record.key.map { String(buffer: $0) },
                value: record.value.map { String(buffer: $0) },
                timestampDelta: record.timestampDelta
            )
        }
    }
}

/// A record batch as a producer would send it: the encoded bytes, the header the broker's
/// validator read from them, and the records it holds.
struct TestBatch: Sendable {
    var buffer: ByteBuffer
    var header: RecordBatchHeader
    var records: [TestRecord]

    var recordCount: Int64 { Int64(records.count) }
    var size: Int { buffer.readableBytes }

    /// Builds a batch the way a client does. `clientBaseOffset` and `partitionLeaderEpoch` are
    /// the two header fields the CRC does not cover and the broker overwrites; they default to
    /// values a broker must not keep. `attributes` may name a codec, in which case `body`
    /// (if given) is stored as the batch's already-compressed records.
    init(
        _ records: [TestRecord], baseTimestamp: Int64 = 1_000, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, attributes: Int16 = 0, body: ByteBuffer? = nil,
        clientBaseOffset: Int64 = 4_242, partitionLeaderEpoch: Int32 = 7
    ) throws {
        precondition(!records.isEmpty, "a batch holds at least one record")
        var batch = RecordBatch(
            baseOffset: clientBaseOffset, baseTimestamp: baseTimestamp,
            records: records.enumerated().map { index, record in
                Record(
                    timestampDelta: record.timestampDelta, offsetDelta: Int32(index),
                    key: record.key.map { ByteBuffer(string: $0) }, value: record.value.map { ByteBuffer(string: $0) }
                )
            },
            attributes: attributes, producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence
        )
        batch.header.partitionLeaderEpoch = partitionLeaderEpoch
        var buffer = ByteBuffer()
        if let body {
            batch.encode(body: body, into: &buffer)
        } else {
            batch.encode(into: &buffer)
        }
        // The same check a Produce request goes through, so every test batch is a legal one.
        self.header = try RecordBatchValidator.validate(buffer, produceVersion: 9, maxBatchBytes: .max).get()
        self.buffer = buffer
        self.records = records
    }

    /// `count` records keyed `<prefix>-<n>` with values of `valueLength` characters, so that
    /// batches built with the same arguments have the same size.
    init(
        count: Int, prefix: String = "k", valueLength: Int = 8, baseTimestamp: Int64 = 1_000,
        timestampStep: Int64 = 0, producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1
    ) throws {
        try self.init(
            (0..<count).map { index in
                TestRecord(
                    key: "\(prefix)-\(index)",
                    value: String(String(repeating: "\(prefix)\(index)", count: valueLength).prefix(valueLength)),
                    timestampDelta: Int64(index) * timestampStep
                )
            },
            baseTimestamp: baseTimestamp, producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence
        )
    }
}

/// Decodes every batch in `buffer`, which must hold whole batches only.
func decodeBatches(_ buffer: ByteBuffer) throws -> [RecordBatch] {
    var buffer = buffer
    var batches: [RecordBatch] = []
    while buffer.readableBytes > 0 {
        batches.append(try RecordBatch.decode(from: &buffer))
    }
    return batches
}

/// Splits `buffer` into its batches' bytes, each checked by the produce validator (which
/// recomputes the CRC-32C), so a test knows the broker's rewrite left every CRC valid.
func validatedBatches(_ buffer: ByteBuffer) throws -> [(header: RecordBatchHeader, bytes: ByteBuffer)] {
    var buffer = buffer
    var result: [(header: RecordBatchHeader, bytes: ByteBuffer)] = []
    while let header = RecordBatchHeader(from: buffer) {
        guard let bytes = buffer.readSlice(length: header.totalSize) else { throw TestFailure("partial batch in read result") }
        result.append((try RecordBatchValidator.validate(bytes, produceVersion: 9, maxBatchBytes: .max).get(), bytes))
    }
    guard buffer.readableBytes == 0 else { throw TestFailure("\(buffer.readableBytes) trailing bytes in read result") }
    return result
}

/// A failure a helper reports by throwing, so the test stops with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

public import NIOCore

/// The 61-byte header of a record batch (magic 2), as laid out by `DefaultRecordBatch`.
///
/// The broker reads and validates headers only; record bodies (possibly compressed) are stored
/// and served verbatim.
public struct RecordBatchHeader: Hashable, Sendable {
    public static let size = 61
    /// Bytes before `batchLength`'s coverage starts: baseOffset and batchLength themselves.
    public static let logOverhead = 12
    /// Where the CRC-covered part of the batch starts (attributes onwards).
    public static let crcCoverageStart = 21
    public static let crcOffset = 17
    public static let magicOffset = 16

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32

    public init(
        baseOffset: Int64 = 0, batchLength: Int32 = 0, partitionLeaderEpoch: Int32 = 0, magic: Int8 = 2,
        crc: UInt32 = 0, attributes: Int16 = 0, lastOffsetDelta: Int32 = 0, baseTimestamp: Int64 = 0,
        maxTimestamp: Int64 = 0, producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        recordCount: Int32 = 0
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// Reads a header at `index` without moving the reader index; nil if fewer than 61 bytes.
    public init?(from buffer: ByteBuffer, at index: Int) {
        guard index >= 0, buffer.writerIndex - index >= Self.size else { return nil }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type = T.self) -> T {
            buffer.getInteger(at: index + offset, as: T.self)!
        }
        self.baseOffset = get(0)
        self.batchLength = get(8)
        self.partitionLeaderEpoch = get(12)
        self.magic = get(16)
        self.crc = get(17)
        self.attributes = get(21)
        self.lastOffsetDelta = get(23)
        self.baseTimestamp = get(27)
        self.maxTimestamp = get(35)
        self.producerId = get(43)
        self.producerEpoch = get(51)
        self.baseSequence = get(53)
        self.recordCount = get(57)
    }

    /// Reads the header at the buffer's reader index.
    public init?(from buffer: ByteBuffer) {
        self.init(from: buffer, at: buffer.readerIndex)
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(baseOffset)
        buffer.writeInteger(batchLength)
        buffer.writeInteger(partitionLeaderEpoch)
        buffer.writeInteger(magic)
        buffer.writeInteger(crc)
        buffer.writeInteger(attributes)
        buffer.writeInteger(lastOffsetDelta)
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producerId)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(baseSequence)
        buffer.writeInteger(recordCount)
    }

    // MARK: - Derived

    /// The whole batch's size on the wire and on disk.
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    /// The offset after this batch.
    public var nextOffset: Int64 { lastOffset + 1 }
    public var compression: CompressionCodec? { CompressionCodec(rawValue: Int8(attributes & 0x7)) }
    public var usesLogAppendTime: Bool { attributes & 0x8 != 0 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }
    public var hasProducerId: Bool { producerId >= 0 }

    /// The sequence number of the batch's last record; sequences wrap at Int32.max.
    public var lastSequence: Int32 {
        guard baseSequence >= 0 else { return -1 }
        let last = Int64(baseSequence) + Int64(lastOffsetDelta)
        return last > Int64(Int32.max) ? Int32(last - Int64(Int32.max) - 1) : Int32(last)
    }
}

/// The codec of a compressed record batch (attribute bits 0–2).
public enum CompressionCodec: Int8, CaseIterable, Sendable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

import CCompression
import KafkaProtocol
import NIOCore

/// Decompresses the record section of a compressed batch with the codec its attributes name.
///
/// Output is capped (a compression bomb fails instead of exhausting memory) at
/// `limit` bytes.
enum Decompressor {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let limit = 256 << 20

    static func decompress(_ input: ByteBuffer, codec: CompressionCodec) throws -> ByteBuffer {
        let bytes = Array(input.readableBytesView)
        let output: [UInt8]
        switch codec {
        case .none: output = bytes
        case .gzip: output = try gunzip(bytes)
        case .snappy: output = try unsnappy(bytes)
        case .lz4: output = try unlz4(bytes)
        case .zstd: output = try unzstd(bytes)
        }
        return ByteBuffer(bytes: output)
    }

    // MARK: - gzip (zlib with gzip header detection)

    private static func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "gzip: cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = input
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw Failure(description: "gzip: inflate failed (\(status))")
                    }
                    output.append(contentsOf: target[0..<(target.count - Int(stream.avail_out))])
                }
                guard output.count <= limit else { throw Failure(description: "gzip: output exceeds \(limit) bytes") }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw Failure(description: "gzip: truncated input")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    // MARK: - snappy (raw, or Xerial's framing used by the Java client)

    private static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    private static func unsnappy(_ input: [UInt8]) throws -> [UInt8] {
        guard input.starts(with: xerialMagic) else { return try rawSnappy(input[...]) }
        // Magic (8), version (4), compatible version (4), then [int32 length][raw block]...
        var output: [UInt8] = []
        var position = 16
        while position < input.count {
            guard position + 4 <= input.count else { throw Failure(description: "snappy: truncated block length") }
            let length = input[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            position += 4
            guard length >= 0, position + length <= input.count else { throw Failure(description: "snappy: truncated block") }
            output += try rawSnappy(input[position..<position + length])
            guard output.count <= limit else { throw Failure(description: "snappy: output exceeds \(limit) bytes") }
            position += length
        }
        return output
    }

    private static func rawSnappy(_ input: ArraySlice<UInt8>) throws -> [UInt8] {
        try input.withUnsafeBufferPointer { source in
            let compressed = UnsafeRawPointer(source.baseAddress!).assumingMemoryBound(to: CChar.self)
            var length = 0
            guard snappy_uncompressed_length(compressed, source.count, &length) == SNAPPY_OK, length <= limit else {
                throw Failure(description: "snappy: invalid block header")
            }
            var output = [UInt8](repeating: 0, count: length)
            let status = output.withUnsafeMutableBufferPointer { target in
                snappy_uncompress(
                    compressed, source.count, UnsafeMutableRawPointer(target.baseAddress!).assumingMemoryBound(to: CChar.self),
                    &length
                )
            }
            guard status == SNAPPY_OK else { throw Failure(description: "snappy: corrupt block") }
            return Array(output[0..<length])
        }
    }

    // MARK: - lz4 (frame format)

    private static func unlz4(_ input: [UInt8]) throws -> [UInt8] {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw Failure(description: "lz4: cannot create a context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        try input.withUnsafeBufferPointer { source in
            var consumed = 0
            var hint = 1
            while consumed < source.count && hint != 0 {
                var sourceSize = source.count - consumed
                var targetSize = chunk.count
                hint = try chunk.withUnsafeMutableBufferPointer { target in
                    let result = LZ4F_decompress(context, target.baseAddress, &targetSize, source.baseAddress! + consumed, &sourceSize, nil)
                    guard LZ4F_isError(result) == 0 else {
                        throw Failure(description: "lz4: \(String(cString: LZ4F_getErrorName(result)))")
                    }
                    return result
                }
                consumed += sourceSize
                output += chunk[0..<targetSize]
                guard output.count <= limit else { throw Failure(description: "lz4: output exceeds \(limit) bytes") }
                if sourceSize == 0 && targetSize == 0 { throw Failure(description: "lz4: truncated frame") }
            }
        }
        return output
    }

    // MARK: - zstd (streaming: frames need not record their size)

    private static func unzstd(_ input: [UInt8]) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw Failure(description: "zstd: cannot create a stream") }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Int(ZSTD_DStreamOutSize()))
        try input.withUnsafeBufferPointer { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            var pending = 0
            var filled = false
            repeat {
                let (produced, result) = chunk.withUnsafeMutableBufferPointer { target in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let result = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    return (outBuffer.pos, result)
                }
                guard ZSTD_isError(result) == 0 else {
                    throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(result)))")
                }
                output += chunk[0..<produced]
                guard output.count <= limit else { throw Failure(description: "zstd: output exceeds \(limit) bytes") }
                pending = result
                // A full output chunk may leave decoded data behind even with no input left.
                filled = produced == chunk.count
            } while inBuffer.pos < inBuffer.size || filled
            guard pending == 0 else { throw Failure(description: "zstd: truncated frame") }
        }
        return output
    }
}

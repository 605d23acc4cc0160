#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An open file of the log, read and written at explicit positions so that readers never
/// need the writer's lock. The descriptor closes when the last reference goes, which lets a
/// fetch finish reading a segment that retention has just unlinked.
final class LogFile: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens (creating if asked) the file at `path` for reading and writing.
    init(path: String, create: Bool) throws {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw StorageError("open", path: path, errno: errno) }
        self.path = path
        self.descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    func size() throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StorageError("stat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Writes all of `buffers` back to back starting at `position`.
    func write(_ buffers: [ByteBuffer], at position: Int) throws {
        var offset = position
        for buffer in buffers {
            try buffer.withUnsafeReadableBytes { (bytes: UnsafeRawBufferPointer) in
                var done = 0
                while done < bytes.count {
                    let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw StorageError("write", path: path, errno: errno)
                    }
                    done += written
                }
            }
            offset += buffer.readableBytes
        }
    }

    /// Reads up to `count` bytes at `position`; fewer only at the end of the file.
    func read(count: Int, at position: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) {
            (bytes: UnsafeMutableRawBufferPointer) -> Int in
            var done = 0
            while done < count {
                let got = pread(descriptor, bytes.baseAddress! + done, count - done, off_t(position + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw StorageError("read", path: path, errno: errno)
                }
                if got == 0 { break }
                done += got
            }
            return done
        }
        _ = read
        return buffer
    }

    /// Makes the file's data durable (not its metadata beyond what reading it back needs).
    func sync() throws {
        guard fdatasync(descriptor) == 0 else { throw StorageError("fdatasync", path: path, errno: errno) }
    }

    /// Allocates the file's blocks up to `size` bytes, extending it with zeros where it is
    /// shorter.
    func allocate(upTo size: Int) throws {
        let failure = posix_fallocate(descriptor, 0, off_t(size))
        guard failure == 0 else { throw StorageError("fallocate", path: path, errno: failure) }
    }

    /// Where the bytes that are not zero end between `start` and `end`: just after the last
    /// one, or `start` if there is none.
    func endOfNonZeroBytes(from start: Int, to end: Int) throws -> Int {
        var position = start
        var dataEnd = start
        while position < end {
            let chunk = try read(count: min(64 << 10, end - position), at: position)
            guard chunk.readableBytes > 0 else { break }
            if let last = chunk.readableBytesView.lastIndex(where: { $0 != 0 }) {
                dataEnd = position + (last - chunk.readableBytesView.startIndex) + 1
            }
            position += chunk.readableBytes
        }
        return dataEnd
    }

    func truncate(to size: Int) throws {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw StorageError("truncate", path: path, errno: errno) }
    }
}

/// Makes a directory's entries (files created, renamed or removed in it) durable.
func syncDirectory(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw StorageError("open", path: path, errno: errno) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw StorageError("fsync", path: path, errno: errno) }
}

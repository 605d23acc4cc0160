import ChatClient
import Foundation
import Testing
import TestSupport

/// Media end to end: content-addressed and deduplicated, readable by the uploader and the
/// members of a conversation where it was sent, byte ranges, and a size limit that leaves
/// nothing behind.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MediaTests {
    static let limit = 100_000
    static let server = Task { try await ChatServer.start(extraArguments: ["--media-limit", String(limit)]) }

    var mediaRoot: String {
        get async throws { try await Self.server.value.directory.child("data/gateway/media") }
    }

    /// Stored media files (not the temporary folder).
    func storedFiles() async throws -> [String] {
        let root = try await mediaRoot
        let all = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
        return all.filter { !$0.hasPrefix("tmp") && $0.split(separator: "/").count == 2 }
    }

    func temporaryFiles() async throws -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: try await mediaRoot + "/tmp")) ?? []
    }

    static func bytes(_ count: Int, seed: UInt8) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
    }

    /// The lowercase hex SHA-256 of `data`, from coreutils, independent of the server's code.
    static func sha256(_ data: Data) async throws -> String {
        let directory = try TemporaryDirectory(prefix: "media")
        let file = directory.child("bytes")
        try data.write(to: URL(fileURLWithPath: file))
        let output = try await ChildProcess.run("sha256sum", [file])
        return String(withExtendedLifetime(directory) { output.stdout.prefix(64) })
    }

    static func upload(_ data: Data, as user: TestUser, type: String = "image/png") async throws -> HTTPResult {
        try await user.entry.request("POST", "/v1/media", body: data, contentType: type, token: user.token())
    }

    @Test func theSameBytesTwiceAreOneIdAndOneFile() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let picture = Self.bytes(50_000, seed: 7)
        let digest = try await Self.sha256(picture)
        let before = try await storedFiles().count

        let first = try await Self.upload(picture, as: alice)
        #expect(first.status == 201)
        #expect(first.json?["media_id"]?.string == digest)
        #expect(first.json?["size"]?.int == 50_000)
        #expect(first.json?["content_type"]?.string == "image/png")
        let second = try await Self.upload(picture, as: bob, type: "application/octet-stream")
        #expect(second.status == 201)
        #expect(second.json?["media_id"]?.string == digest)

        let files = try await storedFiles()
        #expect(files.count == before + 1)
        #expect(files.filter { $0.hasSuffix(digest) }.count == 1)
        let stored = try Data(contentsOf: URL(fileURLWithPath: try await mediaRoot + "/" + #require(files.first { $0.hasSuffix(digest) })))
        #expect(stored == picture)
        #expect(try await temporaryFiles().isEmpty)
    }

    @Test func membersOfAConversationWhereItWasSentMayReadItOthersMayNot() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let eve = try await server.user(SharedServer.name("eve"))
        let picture = Self.bytes(20_000, seed: 42)
        let id = try #require(try await Self.upload(picture, as: alice).json?["media_id"]?.string)

        // Before it is sent, only the uploader may read it.
        #expect(try await alice.http("GET", "/v1/media/\(id)").body == picture)
        #expect(try await bob.http("GET", "/v1/media/\(id)").status == 403)

        let sender = try await alice.connect()
        let receiver = try await bob.connect()
        try await sender.send(["type": "send", "id": "p1", "to": ["user": bob.id], "body": "look", "media": [id]])
        _ = try await sender.next(type: "sent")
        let message = try await receiver.next(type: "message")
        #expect(message["media"]?.array?.compactMap(\.string) == [id])

        let download = try await bob.http("GET", "/v1/media/\(id)")
        #expect(download.status == 200)
        #expect(download.body == picture)
        #expect(download.header("Content-Type") == "image/png")
        let forbidden = try await eve.http("GET", "/v1/media/\(id)")
        #expect(forbidden.status == 403)
        #expect(forbidden.json?["error"]?["code"]?.string == "forbidden")
        #expect(try await eve.http("GET", "/v1/media/\(String(repeating: "0", count: 64))").status == 404)

        // A send naming media nobody uploaded is refused.
        try await sender.send(["type": "send", "id": "p2", "to": ["user": bob.id], "media": [String(repeating: "ab", count: 32)]])
        let refused = try await sender.next(type: "error")
        #expect(refused["code"]?.string == "unknown_media")
        #expect(refused["ref"]?.string == "p2")
        await sender.close()
        await receiver.close()
    }

    @Test func rangeRequestsReturnTheRightBytes() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let data = Self.bytes(10_000, seed: 3)
        let id = try #require(try await Self.upload(data, as: alice).json?["media_id"]?.string)

        let cases: [(String, Range<Int>)] = [("bytes=0-99", 0..<100), ("bytes=9990-", 9990..<10_000), ("bytes=-10", 9990..<10_000),
                                             ("bytes=5000-5000", 5000..<5001), ("bytes=9000-20000", 9000..<10_000)]
        for (header, range) in cases {
            let part = try await alice.entry.request("GET", "/v1/media/\(id)", token: alice.token(), headers: [("Range", header)])
            #expect(part.status == 206, "\(header)")
            #expect(part.body == data.subdata(in: range), "\(header)")
            #expect(part.header("Content-Range") == "bytes \(range.lowerBound)-\(range.upperBound - 1)/10000", "\(header)")
        }
        let outside = try await alice.entry.request("GET", "/v1/media/\(id)", token: alice.token(), headers: [("Range", "bytes=10000-")])
        #expect(outside.status == 416)
        #expect(outside.json?["error"]?["code"]?.string == "range_not_satisfiable")
    }

    @Test func anOverLimitUploadIsRefusedAndLeavesNothing() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let before = try await storedFiles()
        let tooBig = Self.bytes(Self.limit + 1, seed: 9)

        // Declared too large up front.
        let declared = try await Self.upload(tooBig, as: alice)
        #expect(declared.status == 413)
        #expect(declared.json?["error"]?["code"]?.string == "too_large")

        // Streamed without a length: refused once the limit is crossed, the partial file removed.
        let directory = try TemporaryDirectory(prefix: "media")
        let file = directory.child("big.bin")
        try tooBig.write(to: URL(fileURLWithPath: file))
        let curl = try await ChildProcess.run("curl", [
            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Transfer-Encoding: chunked",
            "-H", "Content-Type: application/octet-stream", "-H", "Authorization: Bearer \(alice.token())",
            "--data-binary", "@\(file)", "http://127.0.0.1:\(server.httpPort)/v1/media",
        ])
        #expect(curl.stdout == "413")
        withExtendedLifetime(directory) {}

        #expect(try await storedFiles() == before)
        #expect(try await temporaryFiles().isEmpty)
        let digest = try await Self.sha256(tooBig)
        #expect(try await alice.http("GET", "/v1/media/\(digest)").status == 404)
        // Exactly the limit is fine.
        #expect(try await Self.upload(Self.bytes(Self.limit, seed: 9), as: alice).status == 201)
    }
}

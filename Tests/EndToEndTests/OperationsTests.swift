import ChatClient
import Foundation
import GRDB
import Testing
import TestSupport

/// What operators run against a live system: `chat verify`, `chat audit`, `/metrics`, and a
/// SIGTERM in the middle of traffic.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct OperationsTests {
    /// A group of three with a few messages, receipts and a refused intrusion.
    struct Session {
        var alice: TestUser
        var bob: TestUser
        var group: String
        var direct: String
    }

    func chat(on server: ChatServer) async throws -> Session {
        let alice = try await server.user("alice")
        let bob = try await server.user("bob")
        let carol = try await server.user("carol")
        let mallory = try await server.user("mallory")
        let created = try await alice.http("POST", "/v1/groups", ["name": "crew", "members": [bob.id, carol.id]])
        let group = try #require(created.json?["group_id"]?.string)
        let sender = try await alice.connect()
        let receiver = try await bob.connect()
        let intruder = try await mallory.connect()
        try await sender.send(id: "g1", toGroup: group, body: "one")
        try await sender.send(id: "g2", toGroup: group, body: "two")
        try await sender.send(id: "d1", toUser: bob.id, body: "psst")
        let sent = try await sender.collect(3, type: "sent")
        try await intruder.send(id: "x1", toGroup: group, body: "let me in")
        #expect(try await intruder.next(type: "error")["code"]?.string == "forbidden")
        let messages = try await receiver.collect(3, type: "message")
        try await receiver.ack(try #require(messages.last?["dseq"]?.int))
        try await receiver.send(["type": "read", "conv": group, "up_to": 2])
        #expect(try await sender.next { $0["type"]?.string == "receipt" && $0["status"]?.string == "read" }["up_to"]?.int == 2)
        for device in [sender, receiver, intruder] { await device.close() }
        // `sent` answers come per conversation partition, not necessarily in sending order.
        let direct = try #require(sent.first { $0["ref"]?.string == "d1" }?["conv"]?.string)
        return Session(alice: alice, bob: bob, group: group, direct: direct)
    }

    func chatBinary(_ arguments: [String]) async throws -> ChildProcess.Output {
        let child = try ChildProcess(try ChatBinary.path, arguments)
        return try await child.wait(timeout: .seconds(120))
    }

    /// `chat broker` takes its log level like every other command: `--log-level`, else
    /// `CHAT_LOG_LEVEL`, else info.
    @Test(arguments: [
        ([String](), "", true),
        ([], "warning", false),
        (["--log-level", "info"], "warning", true),
    ])
    func brokerLogLevelComesFromTheFlagElseTheEnvironment(flag: [String], environment: String, logsInfo: Bool) async throws {
        let directory = try TemporaryDirectory()
        let (broker, _) = try await ChatBinary.startBroker(
            data: directory.child("data"), arguments: flag, environment: ["CHAT_LOG_LEVEL": environment]
        )
        broker.kill(SIGTERM)
        let output = try await broker.wait()
        #expect(output.status == 0)
        #expect(output.stderr.contains("broker listening") == logsInfo, "\(output.stderr)")
    }

    /// A flush interval that is not a sensible number of milliseconds is refused before
    /// anything starts, with the option named.
    @Test(arguments: ["0", "-5", "86400001", "9223372036854775807", "soon"])
    func badFlushIntervalsAreRefused(value: String) async throws {
        for command in ["broker", "serve"] {
            let output = try await chatBinary([command, "--data", "/nonexistent/never-created", "--flush-interval-ms", value])
            #expect(output.status == 64, "\(command): \(output.stderr)")
            #expect(output.stderr.contains("flush-interval-ms"), "\(command): \(output.stderr)")
        }
    }

    @Test func aSessionQueueBelowAHundredFramesIsRefused() async throws {
        let output = try await chatBinary(["serve", "--data", "/nonexistent/never-created", "--max-queued-frames", "99"])
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.contains("--max-queued-frames must be at least 100"), "\(output.stderr)")
    }

    @Test func verifyPassesAfterAChatAndNamesATamperedRow() async throws {
        let server = try await ChatServer.start()
        let session = try await chat(on: server)
        let data = server.directory.child("data")
        let verified = try await chatBinary(["verify", "--data", data, "--kafka", server.bootstrap])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("verified: the read models"))
        #expect(verified.stdout.contains("messages         3 rows"))
        #expect(!verified.stdout.contains("MISMATCH"))

        // Tamper with the live store while the server runs.
        let live = try DatabasePool(path: "\(data)/gateway/gateway.sqlite")
        try await live.write { db in
            try db.execute(sql: "UPDATE messages SET body = 'tampered' WHERE conv = ? AND seq = 2", arguments: [session.group])
        }
        let caught = try await chatBinary(["verify", "--data", data, "--kafka", server.bootstrap])
        #expect(caught.status == 1)
        #expect(caught.stdout.contains("messages         3 rows"))
        #expect(caught.stdout.contains("MISMATCH"))
        #expect(caught.stdout.contains(#"first difference in messages: row conv="\#(session.group)" seq=2"#), "\(caught.stdout)")
        #expect(caught.stdout.contains(#"body="tampered""#) && caught.stdout.contains(#"body="two""#))
        try await server.stop()
    }

    @Test func auditPrintsAConversationsActionsInOrder() async throws {
        let server = try await ChatServer.start()
        let session = try await chat(on: server)
        let audit = try await chatBinary(["audit", "--conversation", session.group, "--kafka", server.bootstrap])
        #expect(audit.status == 0, "\(audit.stderr)")
        let lines = audit.stdout.split(separator: "\n").map(String.init)
        let expected = [
            "\(session.alice.id) created group \"crew\"",
            "\(session.alice.id)/phone sent \"one\" (client id g1)  → seq 1",
            "\(session.alice.id)/phone sent \"two\" (client id g2)  → seq 2",
            "sent \"let me in\" (client id x1)  → rejected, forbidden",
            "\(session.bob.id) read up to seq 2  → read cursor at 2, receipt to \(session.alice.id)",
        ]
        var cursor = lines.startIndex
        for fragment in expected {
            let found = lines[cursor...].firstIndex { $0.contains(fragment) }
            #expect(found != nil, "missing, or out of order: \(fragment)\n\(audit.stdout)")
            cursor = (found ?? cursor) + 1
        }
        #expect(!audit.stdout.contains("psst"), "the direct conversation is not part of the group's audit")

        let json = try await chatBinary(["audit", "--conversation", session.direct, "--kafka", server.bootstrap, "--json"])
        let entries = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(entries.first?["type"]?.string == "MessageSent")
        #expect(entries.first?["event"]?["body"]?.string == "psst")
        #expect(entries.first?["outcome"]?.string == "seq 1, \(session.direct).1, to \(session.bob.id)")
        let unknown = try await chatBinary(["audit", "--conversation", "nothing-here", "--kafka", server.bootstrap])
        #expect(unknown.status == 1)
        try await server.stop()
    }

    /// Prometheus text: `# HELP`/`# TYPE` comments, and samples `name{labels} value`.
    static func samples(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]),
                parts[0].wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?/) != nil
            else {
                throw ChildProcess.Failure(description: "not Prometheus text: \(line)")
            }
            samples[String(parts[0])] = value
        }
        return samples
    }

    @Test func metricsParseAndMoveWithTraffic() async throws {
        let server = try await ChatServer.start()
        let before = try Self.samples(String(decoding: try await server.http.request("GET", "/metrics").body, as: UTF8.self))
        for name in ["chat_connections", "chat_messages_in_total", "chat_messages_out_total", "kafka_broker_produced_records_total"] {
            #expect(before[name] != nil, "\(name) missing")
        }
        let alice = try await server.user("alice")
        let bob = try await server.user("bob")
        let sender = try await alice.connect()
        let receiver = try await bob.connect()
        for index in 1...5 { try await sender.send(id: "m\(index)", toUser: bob.id, body: "hello \(index)") }
        _ = try await receiver.collect(5, type: "message")

        let scraped = try await server.http.request("GET", "/metrics")
        #expect(scraped.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let after = try Self.samples(String(decoding: scraped.body, as: UTF8.self))
        #expect(after["chat_connections"] == 2)
        #expect(after["chat_messages_in_total"] == (before["chat_messages_in_total"] ?? 0) + 5)
        #expect(after["chat_messages_out_total"] == (before["chat_messages_out_total"] ?? 0) + 5)
        #expect(after["chat_delivery_latency_seconds_count"] == 5)
        // At least the 5 messages and the 5 deliveries bob received went through the broker.
        #expect((after["kafka_broker_produced_records_total"] ?? 0) >= (before["kafka_broker_produced_records_total"] ?? 0) + 10)
        #expect((after["kafka_broker_fetched_bytes_total"] ?? 0) > (before["kafka_broker_fetched_bytes_total"] ?? 0))
        #expect(after.keys.contains { $0.hasPrefix("kafka_broker_log_size_bytes{topic=\"chat.conversations\"") })
        // Requests by API: the 5 messages alone took at least 5 produce requests.
        let produces = "kafka_broker_requests_total{api=\"Produce\"}"
        #expect((after[produces] ?? 0) >= (before[produces] ?? 0) + 5)
        #expect((after["kafka_broker_requests_total{api=\"Fetch\"}"] ?? 0) > 0)
        // Lag is sampled every few seconds, once the processor has committed.
        #expect(await eventually(timeout: .seconds(20), every: .milliseconds(500)) {
            let text = try? await server.http.request("GET", "/metrics").body
            return String(decoding: text ?? Data(), as: UTF8.self).contains("chat_consumer_lag{group=\"chat-processor\"")
        })
        await sender.close()
        await receiver.close()
        try await server.stop()
    }

    @Test func sigtermUnderTrafficLosesNothingAndLeavesNothingToRepair() async throws {
        let server = try await ChatServer.start()
        let alice = try await server.user("alice")
        let bob = try await server.user("bob")
        let sender = try await alice.connect()
        let confirmed = Locked<Set<String>>([])
        let sending = Task {
            var index = 0
            while !Task.isCancelled {
                index += 1
                try? await sender.send(id: "m\(index)", toUser: bob.id, body: "burst \(index)")
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let confirming = Task {
            while let sent = try? await sender.next(type: "sent", timeout: .seconds(10)) {
                confirmed.withLock { _ = $0.insert(sent["msg_id"]?.string ?? "") }
            }
        }
        #expect(await eventually(timeout: .seconds(60)) { confirmed.value.count >= 200 })
        let output = try #require(try await server.stop(signal: SIGTERM))
        #expect(output.status == 0, "chat serve exited with \(output.status) on SIGTERM: \(output.stderr)")
        #expect(FileManager.default.fileExists(atPath: server.directory.child("data/broker/clean-shutdown")))
        sending.cancel()
        _ = await sending.value
        await sender.close()
        await confirming.value

        try await server.launch(extraArguments: ["--log-level", "info"])
        let restartLog = try #require(server.output).stderr
        #expect(!restartLog.contains("unclean shutdown"), "\(restartLog)")
        #expect(!restartLog.contains("truncat"))
        let receiver = try await bob.connect()
        var seen: Set<String> = []
        let expected = confirmed.value
        while !seen.isSuperset(of: expected), let message = try? await receiver.next(type: "message", timeout: .seconds(20)) {
            seen.insert(message["msg_id"]?.string ?? "")
        }
        #expect(expected.subtracting(seen).isEmpty, "lost \(expected.subtracting(seen).count) of \(expected.count)")
        await receiver.close()
        try await server.stop()
    }
}

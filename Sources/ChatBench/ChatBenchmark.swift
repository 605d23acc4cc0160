import ArgumentParser
import ChatClient
import Foundation
import TestSupport

/// `chat-bench chat`: the whole system end to end (`chat serve`, release build) driven by
/// WebSocket clients: delivered messages per second at zero loss, send→deliver latency at a
/// fixed rate, server CPU per 1,000 delivered messages, memory per idle connection.
struct ChatBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "Benchmark the chat end to end.")

    @Option(help: "Sender/receiver pairs.")
    var pairs = 20

    @Option(help: "Messages in the throughput run.")
    var messages = 100_000

    @Option(help: "Messages a sender may have without `sent` before it waits.")
    var window = 200

    @Option(help: "Rate of the latency run, messages per second.")
    var rate = 2000

    @Option(help: "Duration of the latency run, seconds.")
    var latencySeconds = 10

    @Option(help: "Idle connections for the memory measurement.")
    var idleConnections = 1000

    @Option(help: "The server's --flush-interval-ms (default: fsync before acknowledging).")
    var flushIntervalMs: Int?

    func run() async throws {
        let server = try await ChatServer.start(extraArguments: flushIntervalMs.map { ["--flush-interval-ms", "\($0)"] } ?? [])
        do {
            try await measure(server)
        } catch {
            // What the server said is the first thing to read when a run fails.
            FileHandle.standardError.write(Data("server log (tail):\n\(server.output?.stderr.suffix(6000) ?? "")\n".utf8))
            throw error
        }
    }

    private func measure(_ server: ChatServer) async throws {
        guard let pid = server.pid else { return }
        var senders: [TestUser] = []
        var receivers: [TestUser] = []
        for index in 0..<pairs {
            senders.append(try await server.user("sender\(index)"))
            receivers.append(try await server.user("receiver\(index)"))
        }
        print("| scenario | figure |")
        print("| --- | ---: |")
        let throughput = try await measureThroughput(senders: senders, receivers: receivers, pid: pid)
        print("| delivered messages/s (\(throughput.delivered) messages, \(pairs) pairs, zero loss: \(throughput.lost == 0 ? "yes" : "no, \(throughput.lost) lost")) | \(format(throughput.perSecond, 0)) |")
        print("| server CPU-s per 1,000 delivered | \(format(throughput.cpuPerThousand, 3)) |")
        let latency = try await measureLatency(senders: senders, receivers: receivers)
        print("| send → deliver p50 at \(rate) msgs/s | \(format(latency.percentile(50).milliseconds, 2)) ms |")
        print("| send → deliver p99 at \(rate) msgs/s | \(format(latency.percentile(99).milliseconds, 2)) ms |")
        let perConnection = try await measureIdleMemory(server: server, pid: pid)
        print("| RSS per idle connection (\(idleConnections) connections) | \(format(Double(perConnection) / 1024, 1)) KiB |")
        try await server.stop()
    }

    struct Throughput {
        var delivered: Int
        var lost: Int
        var perSecond: Double
        var cpuPerThousand: Double
    }

    /// Senders keep up to `window` messages without `sent`; receivers ack every 100.
    private func measureThroughput(senders: [TestUser], receivers: [TestUser], pid: Int32) async throws -> Throughput {
        let perSender = messages / pairs
        let receiving = try await receivers.asyncMap { try await $0.connect(device: "bench") }
        let sending = try await senders.asyncMap { try await $0.connect(device: "bench") }
        let cpuBefore = ProcessCPU.seconds(pid: pid)
        let start = ContinuousClock.now
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, device) in receiving.enumerated() {
                group.addTask { try await receive(perSender, on: device, label: "r\(index)") }
            }
            for (index, device) in sending.enumerated() {
                group.addTask {
                    try await send(perSender, from: device, to: receivers[index].id)
                    return 0
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        let elapsed = ContinuousClock.now - start
        let cpu = ProcessCPU.seconds(pid: pid) - cpuBefore
        for device in receiving + sending { await device.close() }
        return Throughput(
            delivered: delivered, lost: perSender * pairs - delivered, perSecond: Double(delivered) / elapsed.seconds,
            cpuPerThousand: cpu / Double(max(delivered, 1)) * 1000
        )
    }

    /// A sender acks its `sent`s as a receiver acks its messages, every 100 and the last: a
    /// phone acks its own copies too, and the next device of its user starts after them.
    private func send(_ count: Int, from device: TestDevice, to peer: String) async throws {
        var outstanding = 0
        var confirmed = 0
        func confirm() async throws {
            let sent = try await nextSent(on: device, timeout: .seconds(60))
            outstanding -= 1
            confirmed += 1
            if confirmed % 100 == 0 || confirmed == count, let dseq = sent["dseq"]?.int { try await device.ack(dseq) }
        }
        for index in 0..<count {
            while outstanding >= window { try await confirm() }
            try await device.send(id: "t\(index)", toUser: peer, body: "message \(index)")
            outstanding += 1
        }
        while outstanding > 0 { try await confirm() }
    }

    /// The next `sent` on a sender's device. The receipts that arrive between them are read
    /// and dropped, as a phone reads them: left in the device's mailbox, every later wait
    /// would scan them all, and the benchmark's own CPU grew with the length of the run.
    private func nextSent(on device: TestDevice, timeout: Duration) async throws -> JSONValue {
        while true {
            let frame = try await device.next(timeout: timeout)
            if frame["type"]?.string == "sent" { return frame }
        }
    }

    private func receive(_ count: Int, on device: TestDevice, label: String) async throws -> Int {
        var received = 0
        while received < count {
            let message = try await device.next(type: "message", timeout: .seconds(60))
            received += 1
            if received % 100 == 0 || received == count, let dseq = message["dseq"]?.int { try await device.ack(dseq) }
        }
        return received
    }

    /// Sends at `rate` (one tick per 10 ms, spread over the senders) and times each message
    /// from the send call to its arrival at the receiver. Receivers ack each message and
    /// senders each `sent`, as phones do.
    private func measureLatency(senders: [TestUser], receivers: [TestUser]) async throws -> Percentiles {
        let receiving = try await receivers.asyncMap { try await $0.connect(device: "latency") }
        let sending = try await senders.asyncMap { try await $0.connect(device: "latency") }
        let sentAt = Locked<[String: (index: Int, at: ContinuousClock.Instant)]>([:])
        let total = rate * latencySeconds
        let perTick = max(1, rate / 100)
        let samples = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for device in receiving {
                group.addTask {
                    var samples: [Duration] = []
                    while let message = try? await device.next(type: "message", timeout: .seconds(5)) {
                        // The first second warms caches and connections up.
                        if let body = message["body"]?.string, let sent = sentAt.withLock({ $0[body] }), sent.index >= rate {
                            samples.append(ContinuousClock.now - sent.at)
                        }
                        if let dseq = message["dseq"]?.int { try await device.ack(dseq) }
                    }
                    return samples
                }
            }
            for device in sending {
                group.addTask {
                    while let sent = try? await nextSent(on: device, timeout: .seconds(5)) {
                        if let dseq = sent["dseq"]?.int { try await device.ack(dseq) }
                    }
                    return []
                }
            }
            let start = ContinuousClock.now
            for index in 0..<total {
                if index % perTick == 0 {
                    try await Task.sleep(until: start + .milliseconds(index / perTick * 10), clock: .continuous)
                }
                let pair = index % sending.count
                let body = "latency \(index)"
                sentAt.withLock { $0[body] = (index, .now) }
                try await sending[pair].send(id: "l\(index)", toUser: receivers[pair].id, body: body)
            }
            var all: [Duration] = []
            for try await samples in group { all += samples }
            return all
        }
        for device in receiving + sending { await device.close() }
        return Percentiles(samples)
    }

    /// Opens `idleConnections` sessions that then stay silent, and divides the growth of the
    /// server's resident memory by their number.
    private func measureIdleMemory(server: ChatServer, pid: Int32) async throws -> Int {
        let owner = try await server.user("idle")
        var tokens: [String] = []
        for index in 0..<idleConnections { tokens.append(try await owner.login(device: "idle\(index)")) }
        try await Task.sleep(for: .seconds(1))
        let before = ProcessCPU.residentBytes(pid: pid)
        var sockets: [ChatSocket] = []
        for token in tokens {
            sockets.append(try await ChatSocket.connect(host: "127.0.0.1", port: server.httpPort, token: token))
        }
        try await Task.sleep(for: .seconds(2))
        let after = ProcessCPU.residentBytes(pid: pid)
        for socket in sockets { await socket.close() }
        return (after - before) / idleConnections
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

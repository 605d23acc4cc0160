import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// Serves one client connection on its event loop.
///
/// Requests are taken in the order they arrive and answered in that order. Most are handled
/// where they were read: a produce is appended there and, with `acks=-1`, answered when the
/// flusher reports its batches durable, while the requests behind it go on (so a producer's
/// pipelined requests share fsyncs); a fetch is read there and long-polls on the loop, woken
/// by the flusher or by its own timer. Requests that suspend or write files (the group
/// coordinator, topic admin) run in a task. A fetch or such a task holds the requests behind
/// it back until it is answered, as Kafka does.
///
/// Why on the loop: a produce that went from the loop to a task on the concurrency pool, to a
/// task of its own for its durability wait, to the writer's task and back to the loop woke
/// about ten threads; here it wakes the flusher and, when the fsync is done, the loop.
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let serving: ServingHandler
    private let logger: Logger
    private var handler: RequestHandler?
    private var context: ChannelHandlerContext?
    private var client = ClientContext(host: "")

    /// Answers not written yet, in request order; the first belongs to request `firstUnwritten`.
    private var answers = CircularBuffer<ByteBuffer?>()
    private var firstUnwritten = 0
    /// Produces waiting for durability, by request number.
    private var producesAwaitingSync: [Int: (produce: PendingProduce, waits: Int)] = [:]
    /// Frames read while a fetch or a task holds the connection.
    private var held = CircularBuffer<ByteBuffer>()
    private var isHolding = false
    private var isReading = true

    /// Past these, the connection stops reading until it has caught up: a client that pipelines
    /// without limit, or does not read its answers, costs bounded memory.
    private static let maxHeldFrames = 64
    private static let maxUnwrittenAnswers = 1024

    init(serving: ServingHandler, logger: Logger) {
        self.serving = serving
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        client = ClientContext(host: context.channel.remoteAddress?.ipAddress ?? "")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.append(unwrapInboundIn(data))
        serveHeld()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateReading()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(after: error)
    }

    // MARK: - Serving requests in order

    private func serveHeld() {
        while !isHolding, context != nil, let frame = held.popFirst() {
            serve(frame)
        }
        updateReading()
    }

    private func serve(_ frame: ByteBuffer) {
        guard let context else { return }
        let handler = self.handler ?? serving.handler
        self.handler = handler
        let dispatch: Dispatch
        do {
            dispatch = try handler.dispatch(frame, from: client)
        } catch {
            close(after: error)
            return
        }
        let loop = context.eventLoop
        let connection = NIOLoopBound(self, eventLoop: loop)
        switch dispatch {
        case .none:
            return
        case .ready(let frame):
            answer(frame, to: reserveAnswer())
        case .durable(let produce):
            let request = reserveAnswer()
            producesAwaitingSync[request] = (produce, produce.waits.count)
            for wait in produce.waits {
                wait.log.whenDurable(wait.offset) { result in
                    loop.execute { connection.value.reported(result, for: wait, of: request) }
                }
            }
        case .fetch(let fetch):
            isHolding = true
            poll(fetch, for: reserveAnswer())
        case .deferred(let work):
            isHolding = true
            let request = reserveAnswer()
            Task {
                let frame = await work()
                loop.execute { connection.value.finished(frame, for: request) }
            }
        }
    }

    private func reserveAnswer() -> Int {
        answers.append(nil)
        return firstUnwritten + answers.count - 1
    }

    /// Stores the answer to `request` and writes every answer that is now next in line.
    private func answer(_ frame: ByteBuffer, to request: Int) {
        guard let context else { return }
        answers[answers.index(answers.startIndex, offsetBy: request - firstUnwritten)] = frame
        var wrote = false
        while let first = answers.first, let ready = first {
            answers.removeFirst()
            firstUnwritten += 1
            context.write(wrapOutboundOut(ready), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    /// Lets the requests held behind a fetch or a task go on.
    private func release() {
        isHolding = false
        serveHeld()
    }

    // MARK: - Produce, fetch and tasks

    private func reported(_ result: Result<Void, any Error>, for wait: RequestHandler.DurableWait, of request: Int) {
        guard var entry = producesAwaitingSync[request] else { return }
        if case .failure = result { entry.produce.markFailed(wait) }
        entry.waits -= 1
        guard entry.waits == 0, let handler else {
            producesAwaitingSync[request] = entry
            return
        }
        producesAwaitingSync[request] = nil
        answer(handler.framed(entry.produce.response, header: entry.produce.header), to: request)
    }

    /// Reads the fetch and answers it if it has enough, or its time is up; otherwise waits for
    /// the first append to one of its partitions, or its deadline, and reads again.
    private func poll(_ fetch: PendingFetch, for request: Int) {
        guard let context, let handler else { return }
        let read = handler.read(fetch.request)
        if read.bytes >= max(1, Int(fetch.request.minBytes)) || read.hasError || NIODeadline.now() >= fetch.deadline {
            BrokerMetrics.fetched(bytes: read.bytes)
            answer(handler.framed(read.response, header: fetch.header), to: request)
            release()
            return
        }
        let loop = context.eventLoop
        let connection = NIOLoopBound(self, eventLoop: loop)
        let signal = OneShotSignal()
        let timer = loop.scheduleTask(deadline: fetch.deadline) { signal.fire() }
        signal.onFire {
            loop.execute {
                timer.cancel()
                connection.value.poll(fetch, for: request)
            }
        }
        // A partition that moved past what the read saw fires the signal at once, so an
        // append between the read and here is not missed.
        for (log, highWatermark) in read.seen { log.notifyOnAppend(signal, after: highWatermark) }
    }

    private func finished(_ frame: ByteBuffer, for request: Int) {
        answer(frame, to: request)
        release()
    }

    // MARK: - Flow control and closing

    private func updateReading() {
        guard let context else { return }
        let shouldRead = held.count < Self.maxHeldFrames && answers.count < Self.maxUnwrittenAnswers
            && context.channel.isWritable
        guard shouldRead != isReading else { return }
        isReading = shouldRead
        context.channel.setOption(ChannelOptions.autoRead, value: shouldRead).whenFailure { _ in }
        if shouldRead { context.read() }
    }

    private func close(after error: any Error) {
        guard let context else { return }
        let peer = context.channel.remoteAddress?.description ?? "unknown"
        if error is KafkaCodecError {
            logger.warning("closing connection after a bad request", metadata: ["peer": "\(peer)", "error": "\(error)"])
        } else {
            logger.debug("connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
        held.removeAll()
        context.close(promise: nil)
    }
}

/// The request handler the listener's connections serve with, set when serving starts (the
/// listener binds first: the handler answers Metadata with the port it bound).
final class ServingHandler: Sendable {
    private let current = Mutex<RequestHandler?>(nil)

    /// Only read by connections that read, and they read once serving started.
    var handler: RequestHandler { current.withLock { $0! } }

    func start(_ handler: RequestHandler) { current.withLock { $0 = handler } }
}

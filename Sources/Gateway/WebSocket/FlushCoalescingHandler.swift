import NIOCore

/// Turns the flushes asked for while the event loop works through its queue into one.
///
/// Every frame a session writes reaches the event loop as a task of its own that ends in a
/// flush, so a device receiving a burst of deliveries cost one `writev` per frame. Placed next
/// to the socket, this handler lets the first flush of a burst schedule the real one behind
/// the tasks already queued, and the burst leaves in one system call. A close flushes first,
/// so nothing written before it is dropped.
final class FlushCoalescingHandler: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny

    private var flushScheduled = false

    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushIfScheduled(context)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        flushIfScheduled(context)
        context.close(mode: mode, promise: promise)
    }

    private func flushIfScheduled(_ context: ChannelHandlerContext) {
        guard flushScheduled else { return }
        flushScheduled = false
        context.flush()
    }
}

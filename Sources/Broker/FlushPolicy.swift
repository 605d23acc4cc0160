/// When appended records are fsynced, and therefore when an `acks=-1` produce is answered and
/// its records become readable.
public enum FlushPolicy: Sendable, Equatable {
    /// Fsync before acknowledging (the default). A produce is answered, and its records are
    /// visible to fetches, only once they are on disk; concurrent producers share fsyncs
    /// (group commit). Nothing acknowledged is lost even when the machine loses power.
    case beforeAcknowledging
    /// Kafka's own shape (`log.flush.interval.ms`): a produce is answered, and its records are
    /// readable, as soon as the operating system holds them, and written partitions are
    /// fsynced every `interval`. Acknowledged records survive the kill of any process, since
    /// the kernel still writes them out, but a power loss or a kernel crash may lose the last
    /// interval. It saves each record's wait for an fsync and the thread hand-offs around it.
    case periodically(every: Duration)
}

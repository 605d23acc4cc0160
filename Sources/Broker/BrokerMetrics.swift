import CoreMetrics
import KafkaProtocol

/// The broker's counters, through swift-metrics: whatever backend the process bootstraps
/// (Prometheus in `chat serve`) exports them; without one they cost nothing.
enum BrokerMetrics {
    private static let producedRecords = Counter(label: "kafka_broker_produced_records_total")
    private static let producedBytes = Counter(label: "kafka_broker_produced_bytes_total")
    private static let fetchResponses = Counter(label: "kafka_broker_fetch_responses_total")
    private static let fetchedBytes = Counter(label: "kafka_broker_fetched_bytes_total")
    /// One counter per API, made up front: the request path only looks one up.
    private static let requests = Dictionary(uniqueKeysWithValues: APIKey.allCases.map {
        ($0, Counter(label: "kafka_broker_requests_total", dimensions: [("api", "\($0)")]))
    })

    /// Creates the counters, so that a scrape shows them at zero before any traffic.
    static func prepare() {
        _ = (producedRecords, producedBytes, fetchResponses, fetchedBytes, requests)
    }

    static func received(_ api: APIKey) {
        requests[api]?.increment()
    }

    static func produced(records: Int32, bytes: Int) {
        producedRecords.increment(by: Int64(records))
        producedBytes.increment(by: Int64(bytes))
    }

    static func fetched(bytes: Int) {
        fetchResponses.increment()
        fetchedBytes.increment(by: Int64(bytes))
    }
}

import Consumers
import Foundation
import Kafka
import Logging
import Prometheus

/// What `/metrics` serves: a Prometheus registry (the one the process bootstrapped
/// swift-metrics with) and the gauges sampled at scrape time rather than counted.
public struct MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let samplers: [@Sendable () async -> Void]

    public init(registry: PrometheusCollectorRegistry, samplers: [@Sendable () async -> Void] = []) {
        self.registry = registry
        self.samplers = samplers
    }

    /// The Prometheus text after refreshing every sampled gauge.
    func scrape() async -> String {
        for sample in samplers { await sample() }
        return registry.emitToString()
    }

    /// A sampler of the chat's consumer groups' lag per partition, at most once every few
    /// seconds however often Prometheus scrapes (each sample asks the cluster).
    public static func consumerLag(
        groups: [String], kafka: KafkaConfiguration, registry: PrometheusCollectorRegistry, logger: Logger
    ) -> @Sendable () async -> Void {
        let last = Locked<ContinuousClock.Instant?>(nil)
        return {
            let due = last.withLock { last in
                if let previous = last, ContinuousClock.now - previous < .seconds(5) { return false }
                last = .now
                return true
            }
            guard due else { return }
            do {
                try await KafkaAdmin.using(kafka, logger: logger) { admin in
                    for group in groups {
                        for lag in try await admin.lag(group: group) {
                            registry.makeGauge(
                                descriptor: MetricNameDescriptor(
                                    metricName: "chat_consumer_lag", unitName: "", helpText: "Records a consumer group has yet to process"
                                ),
                                labels: [("group", group), ("topic", lag.partition.topic), ("partition", String(lag.partition.partition))]
                            ).set(Double(lag.lag))
                        }
                    }
                }
            } catch {
                logger.warning("could not sample consumer lag", metadata: ["error": "\(error)"])
            }
        }
    }
}

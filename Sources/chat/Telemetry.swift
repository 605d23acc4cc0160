import Broker
import Consumers
import Gateway
import Kafka
import Logging
import Metrics
import Prometheus

/// Metrics for the whole process: swift-metrics bootstrapped with a Prometheus registry that
/// the gateway serves at `/metrics`.
enum Telemetry {
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Delivery is a matter of milliseconds; the default buckets start at 5 ms.
        factory.durationHistogramBuckets["chat_delivery_latency_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// The endpoint of a gateway node: its counters plus the chat's consumer-group lag.
    static func endpoint(
        _ registry: PrometheusCollectorRegistry, kafka: KafkaConfiguration, broker: KafkaBroker? = nil, logger: Logger
    ) -> MetricsEndpoint {
        let groups = [ConversationProcessor.Settings().groupId, InboxService.Settings(nodeAddress: "").groupId]
        var samplers = [MetricsEndpoint.consumerLag(groups: groups, kafka: kafka, registry: registry, logger: logger)]
        if let broker {
            samplers.append {
                for log in broker.logSizes() {
                    registry.makeGauge(
                        descriptor: MetricNameDescriptor(
                            metricName: "kafka_broker_log_size", unitName: "bytes", helpText: "Bytes in the partition's log segments"
                        ),
                        labels: [("topic", log.topic), ("partition", String(log.partition))]
                    ).set(Double(log.bytes))
                }
            }
        }
        return MetricsEndpoint(registry: registry, samplers: samplers)
    }
}

import CRdKafka

/// librdkafka properties for one client, with the bootstrap servers given separately.
///
/// Properties use librdkafka's names (CONFIGURATION.md of librdkafka 2.0.2); an unknown name
/// or a bad value fails when the client is created, naming the property.
public struct KafkaConfiguration: Sendable {
    /// `host:port[,host:port…]`.
    public var bootstrapServers: String
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    public subscript(property: String) -> String? {
        get { properties[property] }
        set { properties[property] = newValue }
    }

    /// This configuration with `defaults` filled in where nothing was set.
    func withDefaults(_ defaults: [String: String]) -> KafkaConfiguration {
        var copy = self
        copy.properties.merge(defaults) { set, _ in set }
        return copy
    }

    /// A new `rd_kafka_conf_t` holding every property; the caller owns it.
    func makeConf() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var all = properties
        all["bootstrap.servers"] = bootstrapServers
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            var errorText = [CChar](repeating: 0, count: 512)
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw .configuration("\(name)=\(value): \(String(cBuffer: errorText))")
            }
        }
        return conf
    }
}

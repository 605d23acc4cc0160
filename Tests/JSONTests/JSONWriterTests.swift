import Foundation
import JSON
import Testing

@Suite struct JSONWriterTests {
    @Test func writesCompactObjectsAndLeavesNilFieldsOut() {
        var json = JSONWriter()
        json.beginObject()
        json.field("a", "x")
        json.field("b", nil as String?)
        json.field("c", Int64(-12))
        json.field("d", true)
        json.field("e", ["p", "q"])
        json.key("f")
        json.beginObject()
        json.key("g")
        json.null()
        json.endObject()
        json.key("h")
        json.strings([])
        json.endObject()
        #expect(json.text == #"{"a":"x","c":-12,"d":true,"e":["p","q"],"f":{"g":null},"h":[]}"#)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("q\"b\\s/", #""q\"b\\s/""#),
        ("\u{8}\u{C}\n\r\t", #""\b\f\n\r\t""#),
        ("\u{1}\u{1F}", #""\u0001\u001f""#),
        ("é 中 😀", "\"é 中 😀\""),
        ("", #""""#),
    ])
    func escapesOnlyWhatJSONRequires(_ value: String, _ expected: String) {
        var json = JSONWriter()
        json.string(value)
        #expect(json.text == expected)
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 10, 1_700_000_000_123, Int64.max])
    func writesIntegers(_ value: Int64) {
        var json = JSONWriter()
        json.int(value)
        #expect(json.text == String(value))
    }

    @Test func whatItWritesReadsBackTheSameAndParsesWithFoundation() throws {
        let strings = ["", "a\"b", "back\\slash", "ctl\u{0}\u{7}\u{1F}", "é中😀", "</script>", String(repeating: "x", count: 5000)]
        var json = JSONWriter()
        json.beginArray()
        for string in strings { json.string(string) }
        json.int(.min)
        json.endArray()

        var reader = JSONReader(json.bytes)
        try reader.beginArray()
        var read: [String] = []
        for _ in strings {
            #expect(try reader.nextElement())
            read.append(try reader.readString())
        }
        #expect(try reader.nextElement())
        #expect(try reader.readInt() == .min)
        #expect(try !reader.nextElement())
        try reader.finish()
        #expect(read == strings)

        let foundation = try #require(try JSONSerialization.jsonObject(with: json.data) as? [Any])
        #expect(foundation.prefix(strings.count).compactMap { $0 as? String } == strings)
    }
}

import Foundation
import JSON
import Testing

@Suite struct JSONReaderTests {
    @Test func readsAFlatObjectFieldByField() throws {
        var json = JSONReader(#" { "name" : "ada", "n": -42, "ok": true, "none": null, "tags": ["a", "b"] } "#)
        var seen: [String] = []
        try json.beginObject()
        while let key = try json.nextKey() {
            seen.append(key)
            switch key {
            case "name": #expect(try json.readString() == "ada")
            case "n": #expect(try json.readInt() == -42)
            case "ok": #expect(try json.readBool())
            case "none": #expect(try json.readOptionalString() == nil)
            case "tags": #expect(try json.readStrings() == ["a", "b"])
            default: Issue.record("unexpected key \(key)")
            }
        }
        try json.finish()
        #expect(seen == ["name", "n", "ok", "none", "tags"])
    }

    @Test func skipsValuesOfAnyShape() throws {
        var json = JSONReader(#"{"x": {"deep": [1, 2.5e3, {"a": [true, false, null]}], "s": "\"}"}, "y": 7}"#)
        try json.beginObject()
        #expect(try json.nextKey() == "x")
        try json.skipValue()
        #expect(try json.nextKey() == "y")
        #expect(try json.readInt() == 7)
        #expect(try json.nextKey() == nil)
        try json.finish()
    }

    @Test func emptyContainers() throws {
        var json = JSONReader("[{}, [], {\"a\": []}]")
        try json.beginArray()
        #expect(try json.nextElement())
        try json.beginObject()
        #expect(try json.nextKey() == nil)
        #expect(try json.nextElement())
        try json.beginArray()
        #expect(try !json.nextElement())
        #expect(try json.nextElement())
        try json.beginObject()
        #expect(try json.nextKey() == "a")
        #expect(try json.readStrings() == [])
        #expect(try json.nextKey() == nil)
        #expect(try !json.nextElement())
        try json.finish()
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""q\"b\\s\/""#, "q\"b\\s/"),
        (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
        (#""\u00e9\u4e2d""#, "é中"),
        (#""\ud83d\ude00 ok""#, "😀 ok"),
        (#""raw é 中 😀""#, "raw é 中 😀"),
        (#""""#, ""),
    ])
    func unescapesStrings(_ input: String, _ expected: String) throws {
        var json = JSONReader(input)
        #expect(try json.readString() == expected)
        try json.finish()
    }

    @Test(arguments: [
        "0", "-0", "9223372036854775807", "-9223372036854775808", "123",
    ])
    func readsIntegers(_ input: String) throws {
        var json = JSONReader(input)
        #expect(try json.readInt() == Int64(input))
    }

    @Test(arguments: [
        "9223372036854775808", "-9223372036854775809", "1.5", "1e3", "01", "-", "", "\"1\"", "+1",
    ])
    func refusesWhatIsNotA64BitInteger(_ input: String) {
        var json = JSONReader(input)
        #expect(throws: JSONError.self) { try json.readInt() }
    }

    @Test(arguments: [("0", 0.0), ("-1.25", -1.25), ("2e3", 2000.0), ("1E-2", 0.01), ("12.5e+1", 125.0)])
    func readsNumbers(_ input: String, _ expected: Double) throws {
        var json = JSONReader(input)
        #expect(try json.readNumber() == expected)
        try json.finish()
    }

    @Test(arguments: [
        "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1 \"b\":2}", "[1,]", "[,1]",
        "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"tab\there\"",
        "01", "1.", "1e", "-a", "tru", "nul", "{} {}", "{'a': 1}", "",
    ])
    func refusesMalformedText(_ input: String) {
        var json = JSONReader(input)
        #expect(throws: JSONError.self) {
            try json.skipValue()
            try json.finish()
        }
    }

    @Test func refusesNestingBeyondTheLimit() {
        var json = JSONReader(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000))
        #expect(throws: JSONError.self) { try json.skipValue() }
    }

    @Test func errorsSayWhatWasExpectedAndWhere() {
        var json = JSONReader(#"{"a" 1}"#)
        #expect(throws: JSONError("expected \":\" after a key at byte 5")) {
            try json.beginObject()
            _ = try json.nextKey()
        }
        #expect(throws: JSONError.missing("seq")) { try (nil as Int64?).required("seq") }
    }

    @Test func peeksAtTheKindOfTheNextValue() {
        let cases: [(String, JSONReader.Kind?)] = [
            ("{}", .object), ("[]", .array), ("\"s\"", .string), ("-1", .number), ("7", .number), ("true", .bool),
            ("false", .bool), ("null", .null), ("", nil), ("?", nil),
        ]
        for (input, kind) in cases {
            var json = JSONReader("  " + input)
            #expect(json.peek() == kind, "\(input)")
        }
    }
}

import ChatClient
import Foundation
import Testing

/// The text the test and benchmark clients send for a frame given as a dictionary.
@Suite struct ClientFrameTextTests {
    @Test func framesOfStringsIntegersAndBooleansAreWrittenWithSortedKeys() {
        let text = JSONValue.text([
            "type": "send", "id": "c\"1", "to": ["user": "bob"], "media": ["m1", "m2"], "up_to": -42, "big": Int64.max,
            "flag": true, "nothing": NSNull(), "body": "héllo\n/ 🙂",
        ])
        #expect(text == #"{"big":9223372036854775807,"body":"héllo\n/ 🙂","flag":true,"id":"c\"1","media":["m1","m2"],"nothing":null,"to":{"user":"bob"},"type":"send","up_to":-42}"#)
    }

    @Test func otherValuesFallBackToFoundation() throws {
        let text = JSONValue.text(["type": "ack", "up_to": 1.5, "nested": ["at": [2.25]]])
        #expect(try JSONValue(parsing: text) == .object([
            "type": .string("ack"), "up_to": .number(1.5), "nested": .object(["at": .array([.number(2.25)])]),
        ]))
    }
}

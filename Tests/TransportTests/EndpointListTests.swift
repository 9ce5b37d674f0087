import Testing
import Vocabulary

@Suite("Endpoint lists and ranges")
struct EndpointListTests {
    func text(_ s: String) -> [String]? { Endpoint.list(s)?.map(\.description) }

    @Test("a port range steps the port, an address range the group, both together step as synth numbers channels")
    func ranges() {
        #expect(text("10.0.0.5:51001-51003") == ["10.0.0.5:51001", "10.0.0.5:51002", "10.0.0.5:51003"])
        #expect(text("239.1.1.1-3:51001") == ["239.1.1.1:51001", "239.1.1.2:51001", "239.1.1.3:51001"])
        // synth's line A, 4 channels: channel i on 239.1.1.(1+i):(51001+i).
        #expect(text("239.1.1.1-4:51001-51004") == ["239.1.1.1:51001", "239.1.1.2:51002", "239.1.1.3:51003", "239.1.1.4:51004"])
        #expect(text("127.0.0.1:9, 239.1.2.1-2:51001-51002") == ["127.0.0.1:9", "239.1.2.1:51001", "239.1.2.2:51002"])
        #expect(text("[::1]:9000") == ["[::1]:9000"])
    }

    @Test("malformed or unequal ranges are refused, never guessed")
    func refused() {
        for bad in ["239.1.1.1-4:51001-51003", "239.1.1.4-1:51001", "10.0.0.5:51004-51001", "10.0.0.5:1-100", "239.1.1.1-300:5",
                    "fe80::1-2:5", "10.0.0.5", "10.0.0.5:", ":51001", "10.0.0.5:51001,", "host:51001"] {
            #expect(Endpoint.list(bad) == nil, "\(bad)")
        }
    }
}

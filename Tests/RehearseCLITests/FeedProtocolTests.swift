import Foundation
import Testing
import TestSupport

/// Feed protocols other than OMD, end to end: synth writes each, inspect recognises it (and nothing
/// else) and sequences it as its header says.
@Suite("feed protocols: synth --protocol, recognised and sequenced by inspect")
struct FeedProtocolTests {
    @Test("each protocol: recognised on every stream, sessions named, a 3-packet gap per channel found with its messages (packets where the protocol numbers packets), heartbeats not gaps, messages by type add up",
          arguments: ["moldudp64", "iex-tp", "cboe-pitch", "nyse-xdp", "cme-mdp3", "eurex-eobi"])
    func recognised(name: String) throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try CLI.run(["synth", "--protocol", name, "-o", path, "--channels", "3", "--packets", "900", "--seed", "8", "--fault", "A:gap@12ms:3"])
        #expect(s.status == 0, "\(s.stderr)")
        let byPackets = name == "cme-mdp3" || name == "eurex-eobi"
        let match = s.stdout.firstMatch(of: /dropped (\d+) packets \((\d+) messages\)/)
        let dropped = Int((byPackets ? match?.output.1 : match?.output.2) ?? "") ?? -1
        let r = try CLI.run(["inspect", "--json", path])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try #require((try json(r.stdout)["files"] as? [[String: Any]])?.first)
        let streams = try #require(file["streams"] as? [[String: Any]])
        #expect(streams.count == 3)
        var missing = 0
        for stream in streams {
            #expect(stream["feedProtocol"] as? String == name && stream["omd"] == nil, "\(stream)")
            let feed = try #require(stream["feed"] as? [String: Any])
            // EOBI: two products per stream, each numbered on its own, so the gap splits between them.
            let products = name == "eurex-eobi" ? 2 : 1
            #expect(feed["protocol"] as? String == name && feed["gaps"] as? Int == products && feed["resets"] as? Int == 0, "\(feed)")
            #expect((feed["heartbeats"] as? Int ?? 0) >= 4 && feed["firstSequence"] as? Int == 1, "\(feed)")
            #expect((feed["session"] != nil) == !["nyse-xdp", "cme-mdp3"].contains(name) && feed["sessions"] as? Int == (products > 1 ? products : nil), "\(feed)")
            #expect(feed["sequenceUnit"] as? String == (byPackets ? "packet" : "message"))
            let types = try #require(feed["messagesByType"] as? [[String: Any]])
            #expect(types.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == feed["messages"] as? Int && types.count == 6, "\(types)")
            missing += feed["missingMessages"] as? Int ?? 0
        }
        #expect(missing == dropped && dropped > 0, "missing \(missing), dropped \(dropped)")
        let text = try CLI.run(["inspect", path])
        #expect(text.stdout.contains("feeds (3 streams: \(name))"), "\(text.stdout)")
    }

    @Test("listen recognises another venue's feed as inspect does and sequences it (CME numbers packets: a 3-packet gap is 3 missing); --protocol forces one",
          arguments: ["cme-mdp3", "moldudp64"])
    func listen(name: String) throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)-listen.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try CLI.run(["synth", "--protocol", name, "-o", path, "--channels", "2", "--packets", "400", "--seed", "3", "--fault", "A:gap@5ms:3"])
        let kept = Int(s.stdout.firstMatch(of: /wrote \S+: (\d+)\s/)?.output.1 ?? "") ?? -1
        let dropped = s.stdout.firstMatch(of: /dropped (\d+) packets \((\d+) messages\)/)
        let port = freePortBlock(4)
        let listener = try Background(["listen", "--on", "127.0.0.1:\(port)-\(port + 1)", "--count", "\(kept)", "--idle", "3s", "--json"])
        usleep(300_000)
        let r = try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(port)", "--speed", "2", "--json"])
        #expect(r.replayed, "\(r.stderr)")
        let (status, output) = listener.wait()
        #expect(status == 0)
        let streams = try #require(try json(output)["streams"] as? [[String: Any]])
        var missing = 0
        for stream in streams {
            #expect(stream["feedProtocol"] as? String == name && stream["omd"] == nil && stream["garbage"] as? Int == 0, "\(stream)")
            let feed = try #require(stream["feed"] as? [String: Any])
            #expect(feed["gaps"] as? Int == 1 && feed["protocol"] as? String == name, "\(feed)")
            missing += feed["missingMessages"] as? Int ?? 0
        }
        let expected = Int((name == "cme-mdp3" ? dropped?.output.1 : dropped?.output.2) ?? "") ?? -1
        #expect(streams.count == 2 && missing == expected && expected > 0, "missing \(missing), expected \(expected)")
    }

    @Test("bench of another venue's capture against two relaying simulators: every message matched by its own protocol's numbers, conservation per side, and the datagrams the new one dropped lost (CME: packets)",
          arguments: ["moldudp64", "cme-mdp3"])
    func benchOtherVenue(name: String) throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)-bench.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--protocol", name, "-o", path, "--channels", "2", "--packets", "2000", "--seed", "4"]).status == 0)
        let base = freePortBlock(8)
        let old = try Background(["sim", "feed", "--relay", "--listen", "127.0.0.1:\(base)-\(base + 1)", "--publish", "127.0.0.1:\(base + 2)", "--profile", "old", "--json"])
        let new = try Background(["sim", "feed", "--relay", "--listen", "127.0.0.1:\(base + 4)-\(base + 5)", "--publish", "127.0.0.1:\(base + 6)",
                                  "--profile", "new", "--drop", "0.03", "--seed", "9", "--json"])
        usleep(300_000)
        let r = try CLI.run(["bench", path, "--old", "127.0.0.1:\(base)", "--old-from", "127.0.0.1:\(base + 2)",
                             "--new", "127.0.0.1:\(base + 4)", "--new-from", "127.0.0.1:\(base + 6)", "--speed", "1", "--drain", "2s", "--json"])
        let (_, oldOut) = old.interrupt()
        let (_, newOut) = new.interrupt()
        #expect(r.status == 0 || (r.status == 5 && r.stderr.contains("inconclusive: the test host")), "\(r.stderr)")
        let sides = try #require(try json(r.stdout)["sides"] as? [[String: Any]])
        #expect(sides.count == 2)
        for side in sides {
            let sent = side["messagesSent"] as? Int ?? -1, received = side["messagesReceived"] as? Int ?? -2, lost = side["messagesLost"] as? Int ?? -3
            #expect(sent > 1900 && received + lost == sent && side["garbage"] as? Int == 0 && side["unexpectedMessages"] as? Int == 0, "\(side)")
        }
        let relayed = try json(oldOut)["packetsIn"] as? Int
        #expect(sides[0]["messagesLost"] as? Int == 0 && relayed == 2000)
        let dropped = try json(newOut)["droppedPackets"] as? Int ?? -1
        let lost = sides[1]["messagesLost"] as? Int ?? -1
        // CME numbers packets: a dropped packet is one lost (its heartbeats are not expected, so at
        // most one fewer per heartbeat dropped); MoldUDP64 loses every message the datagram carried.
        #expect(dropped > 0 && (name == "cme-mdp3" ? lost <= dropped && lost >= dropped - 8 : lost >= dropped), "lost \(lost), dropped \(dropped)")
    }

    @Test("bench refuses EOBI (each product numbered on its own within a stream: (channel, SeqNum) names no message)")
    func benchRefusesInterleaved() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-eobi-bench.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--protocol", "eurex-eobi", "-o", path, "--channels", "1", "--packets", "50"]).status == 0)
        let r = try CLI.run(["bench", path, "--new", "127.0.0.1:9", "--new-from", "127.0.0.1:19"])
        #expect(r.status == 3 && r.stderr.contains("eurex-eobi numbers each product on its own within one stream"), "\(r.stderr)")
    }

    @Test("watch of another venue's primary and standby: each line's protocol recognised, what the primary lost settled missing (CME: packets), nothing mismatched",
          arguments: ["moldudp64", "cme-mdp3"])
    func watchOtherVenue(name: String) throws {
        let a = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)-wa.pcap", b = a.replacingOccurrences(of: "-wa.pcap", with: "-wb.pcap")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        // Same seed, same messages: the primary (A) loses 3 packets per channel from 12 ms (none a heartbeat).
        let s = try CLI.run(["synth", "--protocol", name, "-o", a, "--channels", "2", "--packets", "600", "--seed", "5", "--fault", "A:gap@12ms:3"])
        #expect(try CLI.run(["synth", "--protocol", name, "-o", b, "--channels", "2", "--packets", "600", "--seed", "5"]).status == 0)
        let dropped = s.stdout.firstMatch(of: /dropped (\d+) packets \((\d+) messages\)/)
        let expected = Int((name == "cme-mdp3" ? dropped?.output.1 : dropped?.output.2) ?? "") ?? -1
        let port = freePortBlock(8)
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(port)-\(port + 1)", "--standby", "127.0.0.1:\(port + 2)-\(port + 3)",
                                    "--interval", "500ms", "--horizon", "2s", "--duration", "6s", "--json"])
        usleep(300_000)
        // Both lines at once, as a venue sends them: replayed one after the other, a loaded host's
        // process start alone can put the primary past the horizon (everything late, nothing on both).
        let standby = try Background(["replay", b, "--to", "each=127.0.0.1:\(port + 2)", "--speed", "1"])
        let primary = try Background(["replay", a, "--to", "each=127.0.0.1:\(port)", "--speed", "1"])
        // 5: a replay that fell more than 10 % behind its pace on a loaded host (every packet still sent).
        let (standbyStatus, _) = standby.wait(), (primaryStatus, _) = primary.wait()
        #expect([0, 5].contains(standbyStatus) && [0, 5].contains(primaryStatus), "replays exited \(standbyStatus), \(primaryStatus)")
        let (_, output) = watch.wait()
        let channels = try #require(try json(output)["channels"] as? [[String: Any]])
        #expect(channels.count == 2)
        var missing = 0
        for c in channels {
            for line in ["primary", "standby"] {
                let l = try #require(c[line] as? [String: Any])
                #expect(l["feedProtocol"] as? String == name && l["garbage"] as? Int == 0, "\(l)")
            }
            #expect(c["mismatches"] as? Int == 0 && c["missingOnStandby"] as? Int == 0 && (c["onBoth"] as? Int ?? 0) > 200, "\(c)")
            missing += c["missingOnPrimary"] as? Int ?? 0
        }
        #expect(missing == expected && expected > 0, "missing \(missing), expected \(expected)")
    }

    @Test("an OMD capture stays OMD; a datagram stream no protocol recognises is named 'not recognised'")
    func omdAndUnknown() throws {
        let r = try CLI.run(["inspect", "--json", "captures/omd-d-ab.pcap"])
        let file = try #require((try json(r.stdout)["files"] as? [[String: Any]])?.first)
        let streams = try #require(file["streams"] as? [[String: Any]])
        #expect(streams.allSatisfy { $0["feedProtocol"] as? String == "omd" && $0["feed"] == nil })
        _ = ExitCodeTests.files
        let unknown = try CLI.run(["inspect", ExitCodeTests.directory + "/not-omd.pcap"])
        #expect(unknown.stdout.contains("feed protocol not recognised on 1 UDP stream: 233.215.179.5:10378"), "\(unknown.stdout)")
    }

    @Test("compare: a capture compared with itself matches every message; a stream no protocol recognises is refused on both sides alike, named")
    func compareNeverGuesses() throws {
        let same = try CLI.run(["compare", "captures/omd-d-ab.pcap", "captures/omd-d-ab.pcap", "--json"])
        #expect(same.status == 0, "\(same.stderr)")
        let report = try json(same.stdout)
        let channels = try #require(report["channels"] as? [[String: Any]])
        #expect(channels.count == 8 && channels.allSatisfy { $0["missingOnA"] as? Int == 0 && $0["missingOnB"] as? Int == 0 && ($0["onBoth"] as? Int ?? 0) > 0 })
        #expect(channels.allSatisfy { $0["protocolA"] as? String == "omd" && $0["protocolB"] as? String == "omd" })
        _ = ExitCodeTests.files
        let unknown = ExitCodeTests.directory + "/not-omd.pcap"
        let r = try CLI.run(["compare", unknown, unknown])
        #expect(r.status == 3, "\(r.stderr)")
        for side in ["A", "B"] {
            #expect(r.stderr.contains("\(side): 1 stream not compared, no feed protocol recognised consistently over their first packets (233.215.179.5:10378)"),
                    "\(r.stderr)")
            #expect(r.stderr.contains("\(side): no feed stream in \(unknown)"))
        }
    }

    @Test("compare of another venue's lines: a capture with a 3-packet gap against the same feed without it finds exactly what was dropped, nothing mismatched (packets for the protocols that number packets; EOBI's products paired product by product)",
          arguments: ["moldudp64", "cboe-pitch", "cme-mdp3", "eurex-eobi"])
    func compareOtherVenues(name: String) throws {
        let a = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)-a.pcap", b = a.replacingOccurrences(of: "-a.pcap", with: "-b.pcap")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        // Same seed, same messages: A loses 3 packets per channel from 12 ms (none a heartbeat), B nothing.
        let s = try CLI.run(["synth", "--protocol", name, "-o", a, "--channels", "2", "--packets", "600", "--seed", "5", "--fault", "A:gap@12ms:3"])
        #expect(try CLI.run(["synth", "--protocol", name, "-o", b, "--channels", "2", "--packets", "600", "--seed", "5"]).status == 0)
        let dropped = s.stdout.firstMatch(of: /dropped (\d+) packets \((\d+) messages\)/)
        let byPackets = name == "cme-mdp3" || name == "eurex-eobi"
        let expected = Int((byPackets ? dropped?.output.1 : dropped?.output.2) ?? "") ?? -1
        let r = try CLI.run(["compare", a, b, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let channels = try #require(try json(r.stdout)["channels"] as? [[String: Any]])
        #expect(channels.count == 2 && channels.allSatisfy { $0["protocolA"] as? String == name && $0["mismatches"] as? Int == 0 && $0["missingOnB"] as? Int == 0 })
        #expect(channels.reduce(0) { $0 + ($1["missingOnA"] as? Int ?? 0) } == expected && expected > 0, "\(channels.map { $0["missingOnA"] ?? "-" })")
        #expect(channels.allSatisfy { $0["epochs"] as? Int == (name == "eurex-eobi" ? 2 : 1) })
        let text = try CLI.run(["compare", a, b])
        #expect(text.stdout.contains("feed protocol: \(name)") && text.stdout.contains("number packets") == byPackets, "\(text.stdout)")
        // --protocol names it: the same comparison without detection; a wrong name compares nothing and says so (exit 3, never "0 on both").
        let named = try CLI.run(["compare", a, b, "--json", "--protocol", name])
        let namedChannels = try #require(try json(named.stdout)["channels"] as? [[String: Any]])
        #expect(named.status == 0 && namedChannels.map { $0["onBoth"] as? Int } == channels.map { $0["onBoth"] as? Int })
        let wrong = try CLI.run(["compare", a, b, "--protocol", name == "moldudp64" ? "iex-tp" : "moldudp64"])
        #expect(wrong.status == 3 && wrong.stderr.contains("2 streams not compared, no datagram of them is a valid"), "\(wrong.stderr)")
        // --protocol 'BPF=NAME' names one stream's protocol: the right one compares it as detection does,
        // a wrong one leaves that stream out on both sides (said) and the other is still compared.
        let port = try #require((channels[0]["a"] as? String)?.split(separator: ":").last.map(String.init))
        let ruled = try CLI.run(["compare", a, b, "--json", "--protocol", "udp dst port \(port)=\(name)"])
        let ruledChannels = try #require(try json(ruled.stdout)["channels"] as? [[String: Any]])
        #expect(ruled.status == 0 && ruledChannels.map { $0["onBoth"] as? Int } == channels.map { $0["onBoth"] as? Int })
        let wrongName = name == "moldudp64" ? "iex-tp" : "moldudp64"
        let ruledWrong = try CLI.run(["compare", a, b, "--json", "--protocol", "udp dst port \(port)=\(wrongName)"])
        let left = try #require(try json(ruledWrong.stdout)["channels"] as? [[String: Any]])
        #expect(left.count == 1 && left[0]["a"] as? String == channels[1]["a"] as? String && left[0]["onBoth"] as? Int == channels[1]["onBoth"] as? Int,
                "\(ruledWrong.stdout)")
        #expect(ruledWrong.stderr.contains("A: 1 stream not compared, no datagram of it is a valid \(wrongName) packet"), "\(ruledWrong.stderr)")
        let badRule = try CLI.run(["compare", a, b, "--protocol", "udp dst port=\(name)"])
        #expect(badRule.status == 2 && badRule.stderr.contains("--protocol udp dst port=\(name)"), "\(badRule.stderr)")
    }

    @Test("inspect --protocol reads every stream as that protocol: the right one sequences it, a wrong one counts every datagram as not of it, an unknown name is a usage error")
    func forcedProtocol() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-mold.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--protocol", "moldudp64", "-o", path, "--channels", "1", "--packets", "100"]).status == 0)
        let right = try json(try CLI.run(["inspect", "--json", "--protocol", "moldudp64", path]).stdout)
        let feed = try #require(((right["files"] as? [[String: Any]])?.first?["streams"] as? [[String: Any]])?.first?["feed"] as? [String: Any])
        #expect(feed["protocol"] as? String == "moldudp64" && feed["malformed"] as? Int == 0 && (feed["messages"] as? Int ?? 0) > 100)
        let wrong = try CLI.run(["inspect", "--protocol", "iex-tp", path])
        #expect(wrong.status == 0 && wrong.stdout.contains("100 datagrams not iex-tp"), "\(wrong.stdout)")
        let bad = try CLI.run(["inspect", "--protocol", "fast", path])
        #expect(bad.status == 2 && bad.stderr.contains("--protocol fast: expected NAME or 'BPF=NAME' with NAME one of omd, moldudp64"), "\(bad.stderr)")
    }

    @Test("inspect --protocol 'BPF=NAME' overrides only the streams whose first packet matches (the first rule wins, '=' inside the expression is fine); the rest are recognised; a bad expression is a usage error naming it")
    func perStreamProtocol() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-mold3.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--protocol", "moldudp64", "-o", path, "--channels", "3", "--packets", "300"]).status == 0)
        let r = try CLI.run(["inspect", "--json", "--protocol", "udp port 51002=iex-tp", "--protocol", "udp[8:2] = 0x5359=cboe-pitch", path])
        #expect(r.status == 0, "\(r.stderr)")
        let streams = try #require((try json(r.stdout)["files"] as? [[String: Any]])?.first?["streams"] as? [[String: Any]])
        let byPort = Dictionary(uniqueKeysWithValues: streams.map { ($0["destinationPort"] as? Int ?? 0, $0["feed"] as? [String: Any] ?? [:]) })
        // 51002 matches the first rule (iex-tp: every datagram fails it); 51001 and 51003 start "SY" and
        // match the second (cboe-pitch: every datagram fails it too): nothing is recognised behind a rule.
        #expect(byPort[51002]?["protocol"] as? String == "iex-tp" && byPort[51002]?["malformed"] as? Int == 100, "\(byPort)")
        #expect(byPort[51001]?["protocol"] as? String == "cboe-pitch" && byPort[51003]?["protocol"] as? String == "cboe-pitch")
        let some = try json(try CLI.run(["inspect", "--json", "--protocol", "udp port 51002=iex-tp", path]).stdout)
        let rest = try #require((some["files"] as? [[String: Any]])?.first?["streams"] as? [[String: Any]])
        #expect(rest.filter { ($0["feed"] as? [String: Any])?["protocol"] as? String == "moldudp64" }.count == 2, "the streams no rule matches are recognised")
        let bad = try CLI.run(["inspect", "--protocol", "udp port 5100x=iex-tp", path])
        #expect(bad.status == 2 && bad.stderr.contains("--protocol udp port 5100x=iex-tp: invalid filter \"udp port 5100x\""), "\(bad.stderr)")
    }
}


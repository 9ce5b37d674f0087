import Foundation
import TestSupport

/// A report as headless Chromium lays it out (`make deps` installs chromium and poppler-utils).
enum Chromium {
    static let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=3000"]

    /// Measures, after layout, every SVG text's bounding box in every chart: pairs of texts in one chart
    /// that overlap (by more than 1 px each way), texts that stick out of their chart, and the charts
    /// that were laid out. One line per problem.
    static let layoutCheck = """
    <script>
    window.addEventListener('load', () => {
      const problems = []; let charts = 0;
      for (const svg of document.querySelectorAll('svg.chart')) {
        charts++;
        const title = (svg.querySelector('text.title') || svg.querySelector('text')).textContent;
        const outer = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].map(t => ({t: t.textContent, r: t.getBoundingClientRect()}))
          .filter(x => x.r.width > 0);
        for (const a of texts) {
          if (a.r.left < outer.left - 1 || a.r.right > outer.right + 1 || a.r.top < outer.top - 1 || a.r.bottom > outer.bottom + 1)
            problems.push(`${title}: "${a.t}" sticks out of the chart`);
        }
        for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
          const a = texts[i].r, b = texts[j].r;
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 1 && h > 1) problems.push(`${title}: "${texts[i].t}" overlaps "${texts[j].t}"`);
        }
      }
      const pre = document.createElement('pre'); pre.id = 'layout';
      pre.textContent = JSON.stringify({charts, problems});
      document.body.appendChild(pre);
    });
    </script>
    """

    /// Runs a program to its end: exit status and standard output.
    static func run(_ program: String, _ arguments: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The charts Chromium laid out in `report` and every text-overlap problem it measured.
    static func layout(of report: String) throws -> (charts: Int, problems: [String]) {
        let html = try String(contentsOfFile: report, encoding: .utf8)
        let probe = report + ".layout.html"
        try html.replacingOccurrences(of: "</body>", with: layoutCheck + "</body>").write(toFile: probe, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let (_, dom) = try run("chromium", flags + ["--dump-dom", "file://" + probe])
        guard let start = dom.range(of: "<pre id=\"layout\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            return (0, ["Chromium did not lay the report out (is chromium installed? make deps)"])
        }
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        return (object["charts"] as? Int ?? 0, object["problems"] as? [String] ?? ["no layout result"])
    }

    /// `report` printed to PDF by Chromium, read back as text by pdftotext (poppler).
    static func pdfText(of report: String) throws -> String {
        let pdf = report + ".pdf"
        defer { try? FileManager.default.removeItem(atPath: pdf) }
        _ = try run("chromium", flags + ["--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + report])
        return try run("pdftotext", ["-layout", pdf, "-"]).1
    }
}

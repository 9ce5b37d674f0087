import Vocabulary
/// What a ``CaptureReader`` knows about its file: format, sections, interfaces, warnings.
public struct CaptureSummary: Sendable, Equatable {
    public let format: CaptureFormat
    /// Interfaces of the current (last) section.
    public let interfaces: [InterfaceDescription]
    /// Interfaces of every section, in file order.
    public let allInterfaces: [InterfaceDescription]
    public let sections: [SectionInfo]
    public let warnings: [CaptureWarning]
    public let isCompressed: Bool
    public let fileSize: Int?
    public let bytesConsumed: Int
    public let blocksSkipped: Int
}

extension CaptureSummary {
    /// The captures of a timeline (``CaptureTimeline``) as one: the first's format, every section,
    /// interface and warning in file order, sizes and counts summed, compressed when any was.
    public static func joined(_ parts: [CaptureSummary], warnings extra: [CaptureWarning] = []) -> CaptureSummary? {
        guard let first = parts.first else { return nil }
        let sizes = parts.map(\.fileSize)
        return CaptureSummary(format: first.format, interfaces: parts.last!.interfaces, allInterfaces: parts.flatMap(\.allInterfaces),
                              sections: parts.flatMap(\.sections), warnings: parts.flatMap(\.warnings) + extra,
                              isCompressed: parts.contains(where: \.isCompressed),
                              fileSize: sizes.contains(nil) ? nil : sizes.reduce(0) { $0 + $1! },
                              bytesConsumed: parts.reduce(0) { $0 + $1.bytesConsumed }, blocksSkipped: parts.reduce(0) { $0 + $1.blocksSkipped })
    }
}


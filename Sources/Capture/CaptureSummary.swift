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

import Vocabulary
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CShims
import Synchronization

/// Where a reader's bytes come from: a memory-mapped regular file (zero-copy, the normal case) or a
/// stream (gzip-compressed file, pipe) decompressed or read into a sliding window.
///
/// The reader sees one contiguous window `[windowStart, windowEnd)` of the (uncompressed) capture at
/// `base`. For a mapped file the window is the whole file and never moves. For a stream, ``ensure(_:_:)``
/// slides the window forward; views into the old window are invalid afterwards.
///
/// This file and `ByteView.swift` are the only places in `Capture` that do pointer arithmetic.
@usableFromInline
final class CaptureSource {
    @usableFromInline let path: String
    @usableFromInline private(set) var base: UnsafeRawPointer?
    @usableFromInline private(set) var windowStart: Int = 0
    @usableFromInline private(set) var windowEnd: Int = 0
    /// True when no byte exists beyond `windowEnd`.
    @usableFromInline private(set) var exhausted = false
    /// Whether the bytes came through gzip decompression.
    private(set) var isCompressed: Bool

    private var fd: Int32 = -1
    // Mapped file
    private var mapping: UnsafeMutableRawPointer?
    private var mappingLength = 0
    private let releaseBehind: Bool
    /// Releases consumed pages of the mapping (nil when nothing is mapped or release is off).
    private(set) var pageRelease: PageRelease?
    // Stream
    private var buffer: UnsafeMutableRawPointer?
    private var bufferCapacity = 0
    private var input: UnsafeMutableRawPointer?
    private var inputStart = 0
    private var inputEnd = 0
    private var inputEOF = false
    private var compressedConsumed = 0
    private var inflater: OpaquePointer?
    private var memberEnded = false
    /// Set when the gzip stream ends early (the reader turns it into a warning).
    private(set) var compressionTruncated = false

    /// The largest single record a stream window grows to hold (larger ones are reported as corrupt).
    @usableFromInline static var maxRecordLength: Int { 268_435_456 }
    private static let inputChunk = 1 << 20
    private static let initialWindow = 4 << 20

    /// Opens `path`. Regular uncompressed files are mapped; gzip files and non-regular files are streamed.
    /// - Parameter releaseBehind: drop pages the reader has moved past from this process's memory
    ///   (they stay in the page cache), so memory does not grow with the capture. Use for single passes.
    init(path: String, releaseBehind: Bool = true) throws(CaptureError) {
        self.path = path
        self.releaseBehind = releaseBehind
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError(.unreadable, path: path, offset: nil, "cannot open: \(Self.errnoText())")
        }
        self.fd = fd
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let text = Self.errnoText()
            close(fd)
            throw CaptureError(.unreadable, path: path, offset: nil, "cannot stat: \(text)")
        }
        let isRegular = (st.st_mode & S_IFMT) == S_IFREG
        if isRegular && st.st_size == 0 {
            close(fd)
            throw CaptureError(.emptyFile, path: path, offset: nil, "the file is empty")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CaptureError(.unreadable, path: path, offset: nil, "is a directory")
        }
        var gzip = false
        if isRegular {
            var magic: (UInt8, UInt8) = (0, 0)
            let got = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
            gzip = got == 2 && magic.0 == 0x1f && magic.1 == 0x8b
        }
        isCompressed = gzip
        if isRegular && !gzip {
            let length = Int(st.st_size)
            guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
                let text = Self.errnoText()
                close(fd)
                throw CaptureError(.unreadable, path: path, offset: nil, "cannot map: \(text)")
            }
            _ = madvise(p, length, MADV_SEQUENTIAL)
            mapping = p
            mappingLength = length
            if releaseBehind { pageRelease = PageRelease(mapping: p, length: length) }
            base = UnsafeRawPointer(p)
            windowEnd = length
            exhausted = true
        } else {
            buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.initialWindow, alignment: 64)
            bufferCapacity = Self.initialWindow
            base = UnsafeRawPointer(buffer)
            input = UnsafeMutableRawPointer.allocate(byteCount: Self.inputChunk, alignment: 64)
            if !isRegular {
                // A pipe may carry gzip too: peek by filling the input buffer first.
                try fillInput()
                if inputEnd - inputStart >= 2,
                   input!.load(fromByteOffset: 0, as: UInt8.self) == 0x1f,
                   input!.load(fromByteOffset: 1, as: UInt8.self) == 0x8b {
                    gzip = true
                }
            }
            if gzip {
                guard let z = rh_inflate_create(31) else {
                    throw CaptureError(.unreadable, path: path, offset: nil, "cannot start zlib")
                }
                inflater = z
                isCompressed = true
            }
            _ = try ensure(0, 1)
        }
    }

    /// Reads from memory the caller keeps alive for the source's lifetime (fuzzing, tests, embedded
    /// captures). Plain captures are walked in place; gzip ones are inflated through the window.
    init(memory: UnsafeRawBufferPointer, name: String) throws(CaptureError) {
        path = name
        releaseBehind = false
        guard memory.count > 0, let start = memory.baseAddress else {
            throw CaptureError(.emptyFile, path: name, offset: nil, "the capture is empty")
        }
        let gzip = memory.count >= 2 && memory[0] == 0x1f && memory[1] == 0x8b
        isCompressed = gzip
        if !gzip {
            base = start
            windowEnd = memory.count
            exhausted = true
            return
        }
        memoryInput = memory
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.initialWindow, alignment: 64)
        bufferCapacity = Self.initialWindow
        base = UnsafeRawPointer(buffer)
        input = UnsafeMutableRawPointer.allocate(byteCount: Self.inputChunk, alignment: 64)
        guard let z = rh_inflate_create(31) else {
            throw CaptureError(.unreadable, path: name, offset: nil, "cannot start zlib")
        }
        inflater = z
        _ = try ensure(0, 1)
    }

    private var memoryInput: UnsafeRawBufferPointer?
    private var memoryOffset = 0

    deinit {
        if let mapping { munmap(mapping, mappingLength) }
        buffer?.deallocate()
        input?.deallocate()
        if let inflater { rh_inflate_destroy(inflater) }
        if fd >= 0 { close(fd) }
    }

    /// True when the bytes never move (mapped file or memory): views stay valid for the source's life.
    var isStable: Bool { exhausted && windowStart == 0 && buffer == nil }

    /// Total length when known up front (mapped files), used for progress.
    var knownLength: Int? { mapping != nil ? mappingLength : nil }

    /// Compressed bytes consumed so far (gzip), or the window position, for progress.
    var inputPosition: Int { inflater != nil ? compressedConsumed : windowEnd }

    /// Makes `[offset, offset + count)` part of the window when the data exists.
    /// Returns false when the capture ends before `offset + count`.
    /// `offset` never moves backwards between calls for a stream source.
    @usableFromInline
    func ensure(_ offset: Int, _ count: Int) throws(CaptureError) -> Bool {
        if offset &+ count <= windowEnd { return true }
        if exhausted { return false }
        return try slide(offset, count)
    }

    private func slide(_ offset: Int, _ count: Int) throws(CaptureError) -> Bool {
        precondition(offset >= windowStart, "stream source moved backwards")
        guard count <= Self.maxRecordLength else { return false }
        // Keep [offset, windowEnd): move it to the front.
        let keep = windowEnd - offset
        if keep > 0 && offset > windowStart {
            memmove(buffer!, buffer! + (offset - windowStart), keep)
        }
        windowStart = offset
        windowEnd = offset + max(keep, 0)
        if count > bufferCapacity {
            var capacity = bufferCapacity
            while capacity < count { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
            grown.copyMemory(from: buffer!, byteCount: windowEnd - windowStart)
            buffer!.deallocate()
            buffer = grown
            bufferCapacity = capacity
        }
        base = UnsafeRawPointer(buffer)
        while windowEnd - windowStart < bufferCapacity {
            let produced = try produce(into: buffer! + (windowEnd - windowStart), capacity: bufferCapacity - (windowEnd - windowStart))
            if produced == 0 { exhausted = true; break }
            windowEnd += produced
        }
        return offset + count <= windowEnd
    }

    /// Produces uncompressed bytes; 0 means end of data.
    private func produce(into out: UnsafeMutableRawPointer, capacity: Int) throws(CaptureError) -> Int {
        while true {
            if inputStart == inputEnd && !inputEOF { try fillInput() }
            let available = inputEnd - inputStart
            guard let inflater else {
                // Plain stream: copy through.
                if available == 0 { return 0 }
                let n = min(available, capacity)
                out.copyMemory(from: input! + inputStart, byteCount: n)
                inputStart += n
                return n
            }
            if available == 0 {
                if inputEOF {
                    if !memberEnded { compressionTruncated = true }
                    return 0
                }
                continue
            }
            if memberEnded {
                // Concatenated gzip members: a new member follows.
                _ = rh_inflate_reset(inflater)
                memberEnded = false
            }
            var used = 0, made = 0
            let rc = rh_inflate_step(inflater, input! + inputStart, available, &used, out, capacity, &made)
            inputStart += used
            compressedConsumed += used
            if rc == RH_Z_STREAM_END { memberEnded = true }
            else if rc != RH_Z_OK && rc != RH_Z_BUF_ERROR {
                let message = rh_zstream_message(inflater).map { String(cString: $0) } ?? "zlib error \(rc)"
                throw CaptureError(.corruptCompression, path: path, offset: nil,
                                   "corrupt gzip data near compressed byte \(compressedConsumed): \(message)")
            }
            if made > 0 { return made }
            if used == 0 && rc == RH_Z_BUF_ERROR && inputEOF && inputStart == inputEnd {
                compressionTruncated = true
                return 0
            }
        }
    }

    private func fillInput() throws(CaptureError) {
        inputStart = 0
        inputEnd = 0
        if let memoryInput {
            let n = min(Self.inputChunk, memoryInput.count - memoryOffset)
            if n <= 0 { inputEOF = true; return }
            input!.copyMemory(from: memoryInput.baseAddress! + memoryOffset, byteCount: n)
            memoryOffset += n
            inputEnd = n
            return
        }
        while true {
            let n = read(fd, input!, Self.inputChunk)
            if n > 0 { inputEnd = n; return }
            if n == 0 { inputEOF = true; return }
            if errno == EINTR { continue }
            throw CaptureError(.unreadable, path: path, offset: nil, "read failed: \(Self.errnoText())")
        }
    }

    /// Tells the source that nothing before `offset` will be read again in this pass, so a mapped
    /// file's pages before it can leave this process's resident set.
    /// Does nothing while the release has been handed to another thread (see ``PageRelease``).
    @usableFromInline
    func release(upTo offset: Int) {
        guard let pageRelease, !pageRelease.isHandedOver else { return }
        pageRelease.release(upTo: offset)
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// Releases the pages of a mapped capture that a pass has moved past from the process's resident set
/// (`MADV_DONTNEED`: they stay in the page cache, and a later read maps them again), so memory does
/// not grow with the capture.
///
/// The reader does it as it walks, a step behind its position. A pipeline whose later stage lags the
/// reader can take the job over (``handOver()``): the stage then calls ``release(upTo:)`` behind its own
/// position, which moves the kernel's unmapping work off the reading thread, and gives it back with
/// ``takeBack()``. One party releases at a time: hand over before the other thread starts releasing,
/// and take back after it has stopped (a thread start and a join order the two).
public final class PageRelease: Sendable {
    private let mapping: UInt   // address of the mapping (an integer: Sendable)
    private let length: Int
    private let handedOver = Atomic<Bool>(false)
    private let released = Atomic<Int>(0)

    init(mapping: UnsafeMutableRawPointer, length: Int) {
        self.mapping = UInt(bitPattern: mapping)
        self.length = length
    }

    /// Bytes from the start of the file released so far (a multiple of 64 KiB).
    public var releasedUpTo: Int { released.load(ordering: .relaxed) }
    /// True while another thread has the job (the reader then releases nothing).
    public var isHandedOver: Bool { handedOver.load(ordering: .relaxed) }

    /// The reading thread stops releasing; the caller's stage calls ``release(upTo:)`` instead.
    public func handOver() { handedOver.store(true, ordering: .relaxed) }
    /// The reading thread releases again, from ``releasedUpTo``.
    public func takeBack() { handedOver.store(false, ordering: .relaxed) }

    /// Releases whole 64 KiB pages of the file before `offset` (clamped to the file) not released yet.
    public func release(upTo offset: Int) {
        let end = min(offset, length) & ~0xFFFF
        let start = released.load(ordering: .relaxed)
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: mapping) else { return }
        _ = madvise(base + start, end - start, MADV_DONTNEED)
        released.store(end, ordering: .relaxed)
    }
}

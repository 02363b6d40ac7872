using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SegaLearn.Compute;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// Data-plane frames: a <see cref="HeaderSize"/>-byte header (magic, protocol version, kind, then the
/// <see cref="FrameHeader"/> fields, little-endian) followed by <see cref="FrameHeader.ElementCount"/> float32 or, when
/// the header's <see cref="FrameHeader.Format"/> says so, bfloat16 (<see cref="BFloat16"/>), in little-endian byte order;
/// the checksum covers the bytes as sent. Nothing here allocates: callers pass the header scratch and the payload buffers.
/// </summary>
public static class FrameCodec
{
    /// <summary>"SGLF" in the first four bytes of every frame.</summary>
    public const uint Magic = 0x464C_4753;

    public const int HeaderSize = 100;

    static FrameCodec()
    {
        // Payloads are the floats' memory as is; a big-endian host would need a byte swap per element.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The data plane sends float32 in native byte order and needs a little-endian host.");
    }

    /// <summary>The 16-byte job id of frame headers: the first half of the SHA-256 of the job id's UTF-8.</summary>
    public static Guid JobIdOf(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(jobId), hash);
        return new Guid(hash[..16]);
    }

    /// <summary>Bytes of one payload element in <paramref name="format"/>.</summary>
    public static int ElementSize(WireFormat format) => format == WireFormat.BFloat16 ? sizeof(ushort) : sizeof(float);

    /// <summary>Bytes of a frame with <paramref name="elementCount"/> elements in <paramref name="format"/>.</summary>
    public static int FrameSize(int elementCount, WireFormat format = WireFormat.Float32) => HeaderSize + checked(elementCount * ElementSize(format));

    /// <summary>
    /// Whether frames of <paramref name="kind"/> carry a tensor (parameters or gradients), which a bfloat16 job sends in
    /// bfloat16; the others (row indices, proofs) are always float32 bit patterns.
    /// </summary>
    public static bool CarriesTensor(FrameKind kind) =>
        kind is FrameKind.Parameters or FrameKind.Gradient or FrameKind.Piece or FrameKind.ShardSum or FrameKind.ParameterChunk;

    /// <summary>The header as written: <paramref name="header"/> with the element count and the checksum of <paramref name="payload"/> as encoded.</summary>
    public static FrameHeader Complete(FrameHeader header, ReadOnlySpan<float> payload) =>
        Sealed(header, payload.Length, PayloadBytes(header.Format, payload, header.Format == WireFormat.BFloat16 ? new byte[payload.Length * sizeof(ushort)] : []));

    /// <summary>
    /// The payload's bytes as sent: the floats' own memory in float32, or in bfloat16 the payload narrowed
    /// (<see cref="BFloat16.Narrow"/>) into the start of <paramref name="narrowed"/>, which holds 2 bytes an element.
    /// </summary>
    private static ReadOnlySpan<byte> PayloadBytes(WireFormat format, ReadOnlySpan<float> payload, Span<byte> narrowed)
    {
        if (format != WireFormat.BFloat16)
            return MemoryMarshal.AsBytes(payload);
        var bytes = narrowed[..(payload.Length * sizeof(ushort))];
        BFloat16.Narrow(payload, MemoryMarshal.Cast<byte, ushort>(bytes));
        return bytes;
    }

    /// <summary><paramref name="header"/> with the element count and the checksum of the payload <paramref name="bytes"/> as sent.</summary>
    private static FrameHeader Sealed(FrameHeader header, int elementCount, ReadOnlySpan<byte> bytes) =>
        header with { ElementCount = elementCount, Checksum = ChecksumOf(bytes) };

    /// <summary>
    /// Writes the whole frame into <paramref name="destination"/> and returns its length in bytes; a bfloat16 payload is
    /// rounded there (<see cref="BFloat16.Narrow"/>).
    /// </summary>
    public static int Encode(FrameHeader header, ReadOnlySpan<float> payload, Span<byte> destination)
    {
        var size = FrameSize(payload.Length, header.Format);
        if (destination.Length < size)
            throw new ArgumentException($"A frame of {payload.Length} elements needs {size} bytes; the buffer has {destination.Length}.", nameof(destination));
        var payloadBytes = destination[HeaderSize..size];
        if (header.Format != WireFormat.BFloat16)
            MemoryMarshal.AsBytes(payload).CopyTo(payloadBytes);
        else
            PayloadBytes(header.Format, payload, payloadBytes);
        WriteHeader(Sealed(header, payload.Length, payloadBytes), destination);
        return size;
    }

    /// <summary>Writes the frame to <paramref name="stream"/> as the overload with a narrowing scratch does, allocating one if it needs it.</summary>
    public static void Write(Stream stream, FrameHeader header, ReadOnlySpan<float> payload, Span<byte> headerScratch)
    {
        byte[]? scratch = null;
        Write(stream, header, payload, headerScratch, ref scratch);
    }

    /// <summary>
    /// Writes the frame to <paramref name="stream"/>; <paramref name="headerScratch"/> holds at least <see cref="HeaderSize"/>
    /// bytes. A float32 payload goes from the caller's memory as is, after the header; a bfloat16 one is narrowed into
    /// <paramref name="narrowScratch"/> (grown when too small) behind the header, and the frame goes in one write, so
    /// that the peer is not woken for a header whose payload is still to come.
    /// </summary>
    public static void Write(Stream stream, FrameHeader header, ReadOnlySpan<float> payload, Span<byte> headerScratch, ref byte[]? narrowScratch)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (header.Format == WireFormat.BFloat16)
        {
            var size = FrameSize(payload.Length, WireFormat.BFloat16);
            if (narrowScratch is null || narrowScratch.Length < size)
                narrowScratch = new byte[size];
            var frame = narrowScratch.AsSpan(0, size);
            Encode(header, payload, frame);
            stream.Write(frame);
            return;
        }

        WriteHeader(Sealed(header, payload.Length, MemoryMarshal.AsBytes(payload)), headerScratch);
        stream.Write(headerScratch[..HeaderSize]);
        stream.Write(MemoryMarshal.AsBytes(payload));
    }

    /// <summary>
    /// Data row indices as an Assign frame's payload: their int32 bit patterns, copied, never converted, so every
    /// value survives the float32 payload exactly. <see cref="RowsOf"/> reads them back.
    /// </summary>
    public static float[] RowsPayload(ReadOnlySpan<int> rows) => MemoryMarshal.Cast<int, float>(rows).ToArray();

    /// <summary>The row indices of an Assign frame's payload.</summary>
    public static int[] RowsOf(ReadOnlySpan<float> payload) => MemoryMarshal.Cast<float, int>(payload).ToArray();

    /// <summary>Writes <paramref name="header"/> as is (element count and checksum included) into the first <see cref="HeaderSize"/> bytes.</summary>
    public static void WriteHeader(in FrameHeader header, Span<byte> destination)
    {
        if (destination.Length < HeaderSize)
            throw new ArgumentException($"A frame header needs {HeaderSize} bytes; the buffer has {destination.Length}.", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], checked((ushort)ProtocolInfo.Version));
        destination[6] = (byte)header.Kind;
        destination[7] = header.SharedSlot;
        header.JobId.TryWriteBytes(destination.Slice(8, 16));
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], header.WorkerId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[28..], header.ParameterVersion);
        BinaryPrimitives.WriteInt32LittleEndian(destination[36..], header.Epoch);
        BinaryPrimitives.WriteInt32LittleEndian(destination[40..], header.Step);
        BinaryPrimitives.WriteInt32LittleEndian(destination[44..], header.FirstMicrobatch);
        BinaryPrimitives.WriteInt32LittleEndian(destination[48..], header.MicrobatchCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[52..], header.SampleCount);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[56..], header.LossSum);
        BinaryPrimitives.WriteInt32LittleEndian(destination[64..], header.ElementCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[68..], header.Checksum);
        BinaryPrimitives.WriteInt32LittleEndian(destination[72..], header.FirstSample);
        BinaryPrimitives.WriteInt32LittleEndian(destination[76..], header.ComputeMicroseconds);
        BinaryPrimitives.WriteInt32LittleEndian(destination[80..], header.Attempt);
        BinaryPrimitives.WriteInt32LittleEndian(destination[84..], header.ElementOffset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[88..], header.PeerId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[92..], header.PeerPort);
        destination[96] = (byte)header.Format;
        destination[97] = 0;
        destination[98] = 0;
        destination[99] = 0;
    }

    /// <summary>Decodes and checks magic, version, kind and element count of a header.</summary>
    public static FrameHeader ReadHeader(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderSize)
            throw new FrameException($"Truncated frame: header has {source.Length} of {HeaderSize} bytes.");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != Magic)
            throw new FrameException($"Bad magic 0x{magic:X8} (expected 0x{Magic:X8}): the peer does not speak the SegaLearn data plane.");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (version != ProtocolInfo.Version)
            throw new FrameException($"Wrong protocol version {version}: this node speaks version {ProtocolInfo.Version}.");
        var kind = (FrameKind)source[6];
        if (!Enum.IsDefined(kind))
            throw new FrameException($"Unknown frame kind {source[6]}.");
        var header = new FrameHeader
        {
            Kind = kind,
            SharedSlot = source[7],
            JobId = new Guid(source.Slice(8, 16)),
            WorkerId = BinaryPrimitives.ReadInt32LittleEndian(source[24..]),
            ParameterVersion = BinaryPrimitives.ReadInt64LittleEndian(source[28..]),
            Epoch = BinaryPrimitives.ReadInt32LittleEndian(source[36..]),
            Step = BinaryPrimitives.ReadInt32LittleEndian(source[40..]),
            FirstMicrobatch = BinaryPrimitives.ReadInt32LittleEndian(source[44..]),
            MicrobatchCount = BinaryPrimitives.ReadInt32LittleEndian(source[48..]),
            SampleCount = BinaryPrimitives.ReadInt32LittleEndian(source[52..]),
            LossSum = BinaryPrimitives.ReadDoubleLittleEndian(source[56..]),
            ElementCount = BinaryPrimitives.ReadInt32LittleEndian(source[64..]),
            Checksum = BinaryPrimitives.ReadUInt32LittleEndian(source[68..]),
            FirstSample = BinaryPrimitives.ReadInt32LittleEndian(source[72..]),
            ComputeMicroseconds = BinaryPrimitives.ReadInt32LittleEndian(source[76..]),
            Attempt = BinaryPrimitives.ReadInt32LittleEndian(source[80..]),
            ElementOffset = BinaryPrimitives.ReadInt32LittleEndian(source[84..]),
            PeerId = BinaryPrimitives.ReadInt32LittleEndian(source[88..]),
            PeerPort = BinaryPrimitives.ReadInt32LittleEndian(source[92..]),
            Format = (WireFormat)source[96],
        };
        if (header.ElementCount < 0)
            throw new FrameException($"Negative element count {header.ElementCount} in a {kind} frame.");
        if (!Enum.IsDefined(header.Format) || (header.Format != WireFormat.Float32 && !CarriesTensor(kind)))
            throw new FrameException($"Payload format {source[96]} is not one a {kind} frame can carry.");
        return header;
    }

    /// <summary>
    /// Reads the next header into <paramref name="scratch"/> (at least <see cref="HeaderSize"/> bytes) and decodes it.
    /// Returns false when the stream ends cleanly before a frame; a stream ending inside the header is a <see cref="FrameException"/>.
    /// </summary>
    public static bool TryReadHeader(Stream stream, Span<byte> scratch, out FrameHeader header)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var headerBytes = scratch[..HeaderSize];
        var read = stream.ReadAtLeast(headerBytes, HeaderSize, throwOnEndOfStream: false);
        if (read == 0)
        {
            header = default;
            return false;
        }
        if (read < HeaderSize)
            throw new FrameException($"Truncated frame: the stream ended after {read} of {HeaderSize} header bytes.");
        header = ReadHeader(headerBytes);
        return true;
    }

    /// <summary>Payload bytes <see cref="ReadPayload(Stream, in FrameHeader, Span{float}, XxHash3)"/> reads, hashes and widens at a time.</summary>
    public const int ReadChunkBytes = 64 * 1024;

    /// <summary>
    /// Reads the payload of <paramref name="header"/> straight into the first <see cref="FrameHeader.ElementCount"/>
    /// elements of <paramref name="destination"/> and checks its checksum. A bfloat16 payload is read into the upper half
    /// of those elements' bytes and widened in place.
    /// </summary>
    public static void ReadPayload(Stream stream, in FrameHeader header, Span<float> destination) => ReadPayload(stream, header, destination, new XxHash3());

    /// <summary>
    /// Reads as the overload without <paramref name="hash"/> does, hashing with <paramref name="hash"/> (reset first, so one
    /// instance serves a connection's every frame), <see cref="ReadChunkBytes"/> at a time: each chunk is hashed and
    /// widened as soon as it is in, while the rest is still arriving, rather than after the whole payload.
    /// </summary>
    public static void ReadPayload(Stream stream, in FrameHeader header, Span<float> destination, XxHash3 hash)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(hash);
        EnsureFits(header, destination.Length);
        var elements = MemoryMarshal.AsBytes(destination[..header.ElementCount]);
        var elementSize = ElementSize(header.Format);
        var payload = elements[(elements.Length - header.ElementCount * elementSize)..];
        var narrow = header.Format == WireFormat.BFloat16;
        hash.Reset();
        for (var at = 0; at < payload.Length; at += ReadChunkBytes)
        {
            var chunk = payload.Slice(at, Math.Min(ReadChunkBytes, payload.Length - at));
            var read = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            if (read < chunk.Length)
                throw new FrameException($"Truncated frame: the stream ended after {at + read} of {payload.Length} payload bytes of a {header.Kind} frame.");
            hash.Append(chunk);
            // Widening element i writes bytes [4i, 4i + 4), below the bfloat16 of every element not widened yet.
            if (narrow)
                BFloat16.Widen(MemoryMarshal.Cast<byte, ushort>(chunk), destination.Slice(at / elementSize, chunk.Length / elementSize));
        }
        VerifyChecksum(header, ChecksumOf(hash));
    }

    /// <summary>Throws unless the payload of <paramref name="header"/> fits a buffer of <paramref name="capacity"/> elements.</summary>
    internal static void EnsureFits(in FrameHeader header, int capacity)
    {
        if (header.ElementCount > capacity)
            throw new FrameException($"Element count {header.ElementCount} of a {header.Kind} frame is too large for the {capacity}-element buffer.");
    }

    /// <summary>
    /// A payload's checksum: the low 32 bits of its XXH3 hash. It guards against software faults end to end (TCP's own
    /// checksum is weak and, over veth or with offload, often not computed at all); XXH3 hashes a step's 0.47 MB of
    /// bfloat16 parameters in a quarter of CRC-32's time, and a frame is hashed twice on every hop.
    /// </summary>
    public static uint ChecksumOf(ReadOnlySpan<byte> bytes) => (uint)XxHash3.HashToUInt64(bytes);

    /// <summary>The checksum of what <paramref name="hash"/> has taken in (see <see cref="ChecksumOf(ReadOnlySpan{byte})"/>).</summary>
    public static uint ChecksumOf(XxHash3 hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        return (uint)hash.GetCurrentHashAsUInt64();
    }

    /// <summary>Throws unless <paramref name="checksum"/>, that of the payload as read, is the one <paramref name="header"/> announced.</summary>
    internal static void VerifyChecksum(in FrameHeader header, uint checksum)
    {
        if (checksum != header.Checksum)
            throw new FrameException($"Checksum mismatch in a {header.Kind} frame: payload hashes to 0x{checksum:X8}, header says 0x{header.Checksum:X8}.");
    }

    /// <summary>Whether a worker reports <paramref name="kind"/> to the coordinator under peer reduction (Done, ShardSum, Invalid, PeerFailed).</summary>
    public static bool IsPeerReport(FrameKind kind) => kind is FrameKind.Done or FrameKind.ShardSum or FrameKind.Invalid or FrameKind.PeerFailed;
}

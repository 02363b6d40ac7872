using SegaLearn.Compute;
using SegaLearn.Training;

namespace SegaLearn.Protocol.Tests;

public sealed class FrameCodecTests
{
    private static readonly FrameHeader Header = new()
    {
        Kind = FrameKind.Gradient,
        JobId = FrameCodec.JobIdOf("job-1"),
        WorkerId = 3,
        ParameterVersion = 41L,
        Epoch = 2,
        Step = 17,
        FirstMicrobatch = 8,
        MicrobatchCount = 4,
        SampleCount = 128,
        LossSum = 12.625,
        FirstSample = 1024,
        ComputeMicroseconds = 1750,
        Attempt = 2,
        ElementOffset = 4096,
        PeerId = 5,
        PeerPort = 40123,
    };

    private readonly byte[] _scratch = new byte[FrameCodec.HeaderSize];

    [Fact]
    public void Codec_should_round_trip_header_and_payload_bit_exact_when_written_to_a_stream()
    {
        float[] payload = [1.5f, -0f, float.NaN, float.Epsilon, float.MaxValue, -3.25e-30f];
        using var stream = new MemoryStream();
        FrameCodec.Write(stream, Header, payload, _scratch);
        stream.Position = 0;
        var received = new float[payload.Length + 2];

        Assert.True(FrameCodec.TryReadHeader(stream, _scratch, out var header));
        FrameCodec.ReadPayload(stream, header, received);

        Assert.Equal(FrameCodec.Complete(Header, payload), header);
        Assert.Equal(payload.Length, header.ElementCount);
        Assert.Equal(BitsOf(payload), BitsOf(received[..payload.Length]));
        Assert.False(FrameCodec.TryReadHeader(stream, _scratch, out _));
    }

    [Fact]
    public void Codec_should_write_the_same_bytes_when_encoding_into_a_buffer()
    {
        float[] payload = [1f, 2f, 3f];
        using var stream = new MemoryStream();
        FrameCodec.Write(stream, Header, payload, _scratch);
        var buffer = new byte[FrameCodec.FrameSize(payload.Length) + 5];

        var length = FrameCodec.Encode(Header, payload, buffer);

        Assert.Equal(stream.ToArray(), buffer[..length]);
    }

    [Fact]
    public void Codec_should_report_truncation_when_the_stream_ends_inside_a_frame()
    {
        var frame = Frame([1f, 2f, 3f, 4f]);

        for (var length = 1; length < frame.Length; length++)
        {
            using var stream = new MemoryStream(frame[..length]);
            var error = Assert.Throws<FrameException>(() => ReadWhole(stream, new float[4]));
            Assert.StartsWith("Truncated frame", error.Message);
        }
    }

    [Fact]
    public void Codec_should_report_a_checksum_mismatch_when_the_payload_is_corrupted()
    {
        var frame = Frame([1f, 2f, 3f, 4f]);
        frame[FrameCodec.HeaderSize + 5] ^= 0x10;

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[4]));

        Assert.StartsWith("Checksum mismatch", error.Message);
    }

    [Fact]
    public void Codec_should_report_bad_magic_when_the_peer_is_not_a_data_plane()
    {
        var frame = "GET / HTTP/1.1\r\n"u8.ToArray().Concat(new byte[FrameCodec.HeaderSize]).ToArray();

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[4]));

        Assert.StartsWith("Bad magic", error.Message);
    }

    [Fact]
    public void Codec_should_report_a_wrong_version_when_the_peer_speaks_another_protocol()
    {
        var frame = Frame([1f]);
        frame[4] = ProtocolInfo.Version + 1;

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[1]));

        Assert.StartsWith("Wrong protocol version", error.Message);
    }

    [Fact]
    public void Codec_should_refuse_the_payload_when_the_element_count_exceeds_the_buffer()
    {
        var frame = Frame(new float[10]);

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[9]));

        Assert.Contains("too large for the 9-element buffer", error.Message);
    }

    [Fact]
    public void Codec_should_send_a_bfloat16_tensor_in_two_bytes_an_element_and_read_back_the_rounded_values()
    {
        var payload = Enumerable.Range(0, 37).Select(i => (i - 18) * 0.3337f + MathF.Pow(2, -14)).Append(float.NaN).ToArray();
        var header = Header with { Format = WireFormat.BFloat16 };
        using var stream = new MemoryStream();
        FrameCodec.Write(stream, header, payload, _scratch);
        Assert.Equal(FrameCodec.HeaderSize + 2 * payload.Length, stream.Length);
        var encoded = new byte[FrameCodec.FrameSize(payload.Length, WireFormat.BFloat16)];
        Assert.Equal(stream.Length, FrameCodec.Encode(header, payload, encoded));
        Assert.Equal(stream.ToArray(), encoded);
        stream.Position = 0;
        var received = new float[payload.Length + 3];

        Assert.True(FrameCodec.TryReadHeader(stream, _scratch, out var read));
        FrameCodec.ReadPayload(stream, read, received);

        Assert.Equal(FrameCodec.Complete(header, payload), read);
        Assert.Equal(WireFormat.BFloat16, read.Format);
        for (var i = 0; i < payload.Length; i++)
        {
            var expected = BFloat16.Round(payload[i]);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(received[i]) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(received[i]), $"element {i}");
        }

        Assert.Contains(payload, v => !BFloat16.IsExact(v));
    }

    [Fact]
    public void Codec_should_refuse_a_bfloat16_payload_on_a_frame_that_carries_no_tensor()
    {
        var frame = new byte[FrameCodec.FrameSize(4, WireFormat.BFloat16)];
        FrameCodec.Encode(Header with { Kind = FrameKind.Assign, Format = WireFormat.BFloat16 }, new float[4], frame);

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[4]));

        Assert.Contains("Assign", error.Message);
    }

    [Theory]
    [InlineData(WireFormat.Float32)]
    [InlineData(WireFormat.BFloat16)]
    public void Codec_should_read_a_payload_of_many_chunks_as_sent_when_the_stream_hands_it_over_in_small_pieces(WireFormat format)
    {
        // Three and a bit chunks in either format, so the last chunk is partial; one hash serves both frames.
        var count = (3 * FrameCodec.ReadChunkBytes / FrameCodec.ElementSize(format)) + 123;
        var first = Enumerable.Range(0, count).Select(i => MathF.Sin(i * 0.37f) * (1 + (i % 97))).ToArray();
        var second = Enumerable.Range(0, count).Select(i => MathF.Cos(i * 0.11f) - (i % 13)).ToArray();
        var header = Header with { Format = format };
        using var stream = new MemoryStream();
        FrameCodec.Write(stream, header, first, _scratch);
        FrameCodec.Write(stream, header, second, _scratch);
        using var trickle = new TrickleStream(stream.ToArray(), 1000);
        var hash = new System.IO.Hashing.XxHash3();

        foreach (var sent in new[] { first, second })
        {
            var received = new float[count];
            Assert.True(FrameCodec.TryReadHeader(trickle, _scratch, out var read));
            FrameCodec.ReadPayload(trickle, read, received, hash);

            var expected = format == WireFormat.BFloat16 ? sent.Select(BFloat16.Round).ToArray() : sent;
            Assert.Equal(BitsOf(expected), BitsOf(received));
        }
    }

    [Theory]
    [InlineData(WireFormat.Float32)]
    [InlineData(WireFormat.BFloat16)]
    public void Codec_should_stamp_the_low_32_bits_of_the_xxh3_of_the_payload_as_sent_when_encoding(WireFormat format)
    {
        var payload = Enumerable.Range(0, 1000).Select(i => i * 1.25f - 300).ToArray();
        var frame = new byte[FrameCodec.FrameSize(payload.Length, format)];

        FrameCodec.Encode(Header with { Format = format }, payload, frame);

        var expected = (uint)System.IO.Hashing.XxHash3.HashToUInt64(frame.AsSpan(FrameCodec.HeaderSize));
        Assert.Equal(expected, FrameCodec.ReadHeader(frame).Checksum);
    }

    [Fact]
    public void Codec_should_refuse_a_multi_chunk_payload_whose_last_chunk_was_corrupted()
    {
        var payload = Enumerable.Range(0, 2 * FrameCodec.ReadChunkBytes / sizeof(float) + 7).Select(i => i * 0.5f).ToArray();
        var frame = Frame(payload);
        frame[^3] ^= 0x10;

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame), new float[payload.Length]));

        Assert.Contains("Checksum mismatch", error.Message);
    }

    [Fact]
    public void Codec_should_say_how_many_payload_bytes_came_when_the_stream_ends_inside_a_later_chunk()
    {
        var payload = new float[2 * FrameCodec.ReadChunkBytes / sizeof(float)];
        var frame = Frame(payload);
        var cut = FrameCodec.HeaderSize + FrameCodec.ReadChunkBytes + 100;

        var error = Assert.Throws<FrameException>(() => ReadWhole(new MemoryStream(frame[..cut]), new float[payload.Length]));

        Assert.Contains($"after {FrameCodec.ReadChunkBytes + 100} of {payload.Length * sizeof(float)} payload bytes", error.Message);
    }

    private byte[] Frame(float[] payload)
    {
        var frame = new byte[FrameCodec.FrameSize(payload.Length)];
        FrameCodec.Encode(Header, payload, frame);
        return frame;
    }

    private void ReadWhole(Stream stream, float[] destination)
    {
        Assert.True(FrameCodec.TryReadHeader(stream, _scratch, out var header));
        FrameCodec.ReadPayload(stream, header, destination);
    }

    private static int[] BitsOf(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>A stream that hands over at most <c>piece</c> bytes a read, as a socket does with a payload still arriving.</summary>
    private sealed class TrickleStream(byte[] bytes, int piece) : MemoryStream(bytes)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(piece, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(piece, count));
    }
}

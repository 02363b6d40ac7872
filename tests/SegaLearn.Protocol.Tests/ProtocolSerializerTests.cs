using System.Runtime.Serialization;
using Akka.Actor;

namespace SegaLearn.Protocol.Tests;

public sealed class ProtocolSerializerTests : IDisposable
{
    private static readonly DataReference Data = new("digits", null, 42UL, 0.2, true, new string('a', 64), 123_456L, 0.125);

    private readonly ActorSystem _system = ActorSystem.Create("serializer-tests", "akka.loglevel = WARNING");
    private readonly ProtocolSerializer _serializer;

    public ProtocolSerializerTests() => _serializer = new ProtocolSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    public static TheoryData<IControlMessage> Messages() =>
    [
        new WorkerHello(ProtocolInfo.Version, "worker-ü-1", 8),
        Data,
        Data with { LabelColumn = "label", Standardize = false },
        new JobOffer("job-1", JobToken.Create(), ProtocolInfo.Version, "64,32,10", "relu,softmax", "cross_entropy", 0.25, ulong.MaxValue, 32, "simd", Data, 40123, "/proc/4242/fd/17"),
        new JobOffer("job-2", JobToken.Create(), ProtocolInfo.Version, "64,10", "softmax", "cross_entropy", 0, 7, 16, "simd", Data, 40124, "", SegaLearn.Training.WireFormat.BFloat16),
        new RegisterWorker("job-1", "token", ProtocolInfo.Version, new string('f', 64), "node-2", "simd v256 fma tp512 ftz linux-x64"),
        new WorkerAccepted("job-1", 3),
        new WorkerRefused("architecture hash differs"),
        new RequestWork("job-1", 2),
        new DataChunkRequest("job-1", "token", 49_152L, ProtocolInfo.DataChunkBytes),
        new JobFinished("job-1"),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serializer_should_round_trip_when_given_a_control_message(IControlMessage message)
    {
        Assert.Equal(message, RoundTrip(message));
    }

    [Fact]
    public void Serializer_should_round_trip_arrays_when_given_assignments_and_chunks()
    {
        var work = new AssignWork("job-1", 7L, 2, 11, 4, 4, 128, Enumerable.Range(0, 128).Reverse().ToArray());
        var chunk = new DataChunk("job-1", 98_304L, Enumerable.Range(0, ProtocolInfo.DataChunkBytes).Select(i => (byte)i).ToArray());

        var workBack = Assert.IsType<AssignWork>(RoundTrip(work));
        var chunkBack = Assert.IsType<DataChunk>(RoundTrip(chunk));

        Assert.Equal(work with { Rows = [] }, workBack with { Rows = [] });
        Assert.Equal(work.Rows, workBack.Rows);
        Assert.Equal(chunk with { Bytes = [] }, chunkBack with { Bytes = [] });
        Assert.Equal(chunk.Bytes, chunkBack.Bytes);
    }

    [Fact]
    public void Akka_should_pick_the_serializer_when_it_is_bound_to_control_messages()
    {
        var config = """
            akka.loglevel = WARNING
            akka.actor.serializers.segalearn = "SegaLearn.Protocol.ProtocolSerializer, SegaLearn.Protocol"
            akka.actor.serialization-bindings."SegaLearn.Protocol.IControlMessage, SegaLearn.Protocol" = segalearn
            """;
        using var system = ActorSystem.Create("bound", config);
        var serialization = system.Serialization;
        var message = new RequestWork("job-1", 3);

        var serializer = Assert.IsType<ProtocolSerializer>(serialization.FindSerializerFor(message));
        var bytes = serializer.ToBinary(message);

        Assert.Equal(ProtocolSerializer.SerializerIdentifier, serializer.Identifier);
        Assert.Equal(message, serialization.Deserialize(bytes, serializer.Identifier, serializer.Manifest(message)));
    }

    [Fact]
    public void Serializer_should_reject_when_the_manifest_is_unknown()
    {
        var bytes = _serializer.ToBinary(new JobFinished("job-1"));

        var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, "zz"));

        Assert.Contains("unknown manifest 'zz'", error.Message);
    }

    [Fact]
    public void Serializer_should_reject_when_the_payload_is_truncated()
    {
        var message = new AssignWork("job-1", 7L, 2, 11, 4, 4, 128, [1, 2, 3, 4]);
        var bytes = _serializer.ToBinary(message);
        var manifest = _serializer.Manifest(message);

        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes[..length], manifest));
            Assert.Contains("truncated payload", error.Message);
        }
    }

    [Fact]
    public void Serializer_should_reject_when_bytes_follow_the_message()
    {
        var bytes = _serializer.ToBinary(new WorkerAccepted("job-1", 1));

        var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary([.. bytes, 0], "wa"));

        Assert.Contains("1 unexpected bytes", error.Message);
    }

    [Fact]
    public void Serializer_should_reject_when_the_format_version_differs()
    {
        var bytes = _serializer.ToBinary(new JobFinished("job-1"));
        bytes[0] = ProtocolSerializer.FormatVersion + 1;

        var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, "jf"));

        Assert.Contains("format version", error.Message);
    }

    [Fact]
    public void Serializer_should_reject_when_a_length_is_garbage()
    {
        var bytes = _serializer.ToBinary(new JobFinished("job-1"));
        bytes[4] = 0x7F; // the string length's high byte

        var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, "jf"));

        Assert.Contains("JobId", error.Message);
    }

    [Fact]
    public void Serializer_should_refuse_when_a_message_exceeds_the_control_message_limit()
    {
        var chunk = new DataChunk("job-1", 0L, new byte[ProtocolInfo.MaxControlMessageBytes]);

        var error = Assert.Throws<SerializationException>(() => _serializer.ToBinary(chunk));

        Assert.Contains("limit", error.Message);
    }

    private object RoundTrip(IControlMessage message) =>
        _serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));
}

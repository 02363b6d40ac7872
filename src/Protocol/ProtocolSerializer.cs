using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace SegaLearn.Protocol;

/// <summary>
/// Compact binary serializer for every <see cref="IControlMessage"/>: a short manifest names the record, the payload is
/// a format-version byte followed by the fields, little-endian, strings and arrays length-prefixed (UTF-8 for strings).
/// Bind it for <see cref="IControlMessage"/>, e.g. with Akka.Hosting:
/// <c>builder.WithCustomSerializer("segalearn", [typeof(IControlMessage)], system => new ProtocolSerializer(system))</c>.
/// Unknown manifests, other format versions, truncated or trailing bytes and messages of
/// <see cref="ProtocolInfo.MaxControlMessageBytes"/> or more are rejected with a <see cref="SerializationException"/>.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed so both ends of Akka.Remote agree without configuring serialization-identifiers.</summary>
    public const int SerializerIdentifier = 4711;

    /// <summary>First byte of every payload; bumped when a record's encoding changes.</summary>
    public const byte FormatVersion = 2;

    private const string WorkerHelloManifest = "wh";
    private const string DataReferenceManifest = "dr";
    private const string JobOfferManifest = "jo";
    private const string RegisterWorkerManifest = "rw";
    private const string WorkerAcceptedManifest = "wa";
    private const string WorkerRefusedManifest = "wr";
    private const string RequestWorkManifest = "rq";
    private const string AssignWorkManifest = "aw";
    private const string DataChunkRequestManifest = "cq";
    private const string DataChunkManifest = "dc";
    private const string JobFinishedManifest = "jf";

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        WorkerHello => WorkerHelloManifest,
        DataReference => DataReferenceManifest,
        JobOffer => JobOfferManifest,
        RegisterWorker => RegisterWorkerManifest,
        WorkerAccepted => WorkerAcceptedManifest,
        WorkerRefused => WorkerRefusedManifest,
        RequestWork => RequestWorkManifest,
        AssignWork => AssignWorkManifest,
        DataChunkRequest => DataChunkRequestManifest,
        DataChunk => DataChunkManifest,
        JobFinished => JobFinishedManifest,
        _ => throw Unsupported(o),
    };

    public override byte[] ToBinary(object obj)
    {
        var writer = new ControlMessageWriter();
        writer.Byte(FormatVersion);
        switch (obj)
        {
            case WorkerHello m:
                writer.Int32(m.ProtocolVersion);
                writer.String(m.WorkerName);
                writer.Int32(m.Threads);
                break;
            case DataReference m:
                Write(writer, m);
                break;
            case JobOffer m:
                writer.String(m.JobId);
                writer.String(m.Token);
                writer.Int32(m.ProtocolVersion);
                writer.String(m.Layers);
                writer.String(m.Activations);
                writer.String(m.Loss);
                writer.Double(m.DropoutRate);
                writer.UInt64(m.Seed);
                writer.Int32(m.MicrobatchSize);
                writer.String(m.Backend);
                Write(writer, m.Data);
                writer.Int32(m.DataPlanePort);
                writer.String(m.SharedParameters);
                writer.Int32((int)m.Wire);
                break;
            case RegisterWorker m:
                writer.String(m.JobId);
                writer.String(m.Token);
                writer.Int32(m.ProtocolVersion);
                writer.String(m.ArchitectureHash);
                writer.String(m.WorkerName);
                writer.String(m.NumericIdentity);
                break;
            case WorkerAccepted m:
                writer.String(m.JobId);
                writer.Int32(m.WorkerId);
                break;
            case WorkerRefused m:
                writer.String(m.Reason);
                break;
            case RequestWork m:
                writer.String(m.JobId);
                writer.Int32(m.Credits);
                break;
            case AssignWork m:
                writer.String(m.JobId);
                writer.Int64(m.ParameterVersion);
                writer.Int32(m.Epoch);
                writer.Int32(m.Step);
                writer.Int32(m.FirstMicrobatch);
                writer.Int32(m.MicrobatchCount);
                writer.Int32(m.FirstSample);
                writer.Int32Array(m.Rows);
                break;
            case DataChunkRequest m:
                writer.String(m.JobId);
                writer.String(m.Token);
                writer.Int64(m.Offset);
                writer.Int32(m.Length);
                break;
            case DataChunk m:
                writer.String(m.JobId);
                writer.Int64(m.Offset);
                writer.Bytes(m.Bytes);
                break;
            case JobFinished m:
                writer.String(m.JobId);
                break;
            default:
                throw Unsupported(obj);
        }
        if (writer.Length >= ProtocolInfo.MaxControlMessageBytes)
            throw new SerializationException(
                $"ProtocolSerializer: {obj.GetType().Name} is {writer.Length} bytes, over the {ProtocolInfo.MaxControlMessageBytes}-byte limit for control messages; large data belongs on the data plane.");
        return writer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length >= ProtocolInfo.MaxControlMessageBytes)
            throw new SerializationException(
                $"ProtocolSerializer: '{manifest}' payload is {bytes.Length} bytes, over the {ProtocolInfo.MaxControlMessageBytes}-byte limit for control messages.");
        var reader = new ControlMessageReader(bytes, manifest);
        var version = reader.Byte("FormatVersion");
        if (version != FormatVersion)
            throw new SerializationException(
                $"ProtocolSerializer: '{manifest}' payload has format version {version}, this node reads version {FormatVersion}.");
        object message = manifest switch
        {
            WorkerHelloManifest => new WorkerHello(reader.Int32("ProtocolVersion"), reader.String("WorkerName"), reader.Int32("Threads")),
            DataReferenceManifest => ReadDataReference(ref reader),
            JobOfferManifest => new JobOffer(
                reader.String("JobId"),
                reader.String("Token"),
                reader.Int32("ProtocolVersion"),
                reader.String("Layers"),
                reader.String("Activations"),
                reader.String("Loss"),
                reader.Double("DropoutRate"),
                reader.UInt64("Seed"),
                reader.Int32("MicrobatchSize"),
                reader.String("Backend"),
                ReadDataReference(ref reader),
                reader.Int32("DataPlanePort"),
                reader.String("SharedParameters"),
                ReadWire(ref reader)),
            RegisterWorkerManifest => new RegisterWorker(
                reader.String("JobId"),
                reader.String("Token"),
                reader.Int32("ProtocolVersion"),
                reader.String("ArchitectureHash"),
                reader.String("WorkerName"),
                reader.String("NumericIdentity")),
            WorkerAcceptedManifest => new WorkerAccepted(reader.String("JobId"), reader.Int32("WorkerId")),
            WorkerRefusedManifest => new WorkerRefused(reader.String("Reason")),
            RequestWorkManifest => new RequestWork(reader.String("JobId"), reader.Int32("Credits")),
            AssignWorkManifest => new AssignWork(
                reader.String("JobId"),
                reader.Int64("ParameterVersion"),
                reader.Int32("Epoch"),
                reader.Int32("Step"),
                reader.Int32("FirstMicrobatch"),
                reader.Int32("MicrobatchCount"),
                reader.Int32("FirstSample"),
                reader.Int32Array("Rows")),
            DataChunkRequestManifest => new DataChunkRequest(
                reader.String("JobId"), reader.String("Token"), reader.Int64("Offset"), reader.Int32("Length")),
            DataChunkManifest => new DataChunk(reader.String("JobId"), reader.Int64("Offset"), reader.Bytes("Bytes")),
            JobFinishedManifest => new JobFinished(reader.String("JobId")),
            _ => throw new SerializationException(
                $"ProtocolSerializer: unknown manifest '{manifest}'; the sender speaks another protocol version or this is not a control message."),
        };
        reader.End();
        return message;
    }

    private static void Write(ControlMessageWriter writer, DataReference data)
    {
        writer.String(data.Spec);
        writer.String(data.LabelColumn);
        writer.UInt64(data.SplitSeed);
        writer.Double(data.TestFraction);
        writer.Bool(data.Standardize);
        writer.String(data.Sha256);
        writer.Int64(data.ByteLength);
        writer.Double(data.ValidationFraction);
    }

    private static DataReference ReadDataReference(ref ControlMessageReader reader) => new(
        reader.String("Spec"),
        reader.NullableString("LabelColumn"),
        reader.UInt64("SplitSeed"),
        reader.Double("TestFraction"),
        reader.Bool("Standardize"),
        reader.String("Sha256"),
        reader.Int64("ByteLength"),
        reader.Double("ValidationFraction"));

    private static Training.WireFormat ReadWire(ref ControlMessageReader reader)
    {
        var value = reader.Int32("Wire");
        return Enum.IsDefined((Training.WireFormat)value)
            ? (Training.WireFormat)value
            : throw new SerializationException($"ProtocolSerializer: wire format {value} is not one this node knows.");
    }

    private static SerializationException Unsupported(object? o) =>
        new($"ProtocolSerializer: {o?.GetType().FullName ?? "null"} is not a control message it knows.");
}

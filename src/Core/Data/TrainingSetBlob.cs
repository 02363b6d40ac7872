using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SegaLearn.Data;

/// <summary>
/// The canonical bytes of a training set as the network sees it (features after preprocessing, labels): a worker
/// that rebuilds the set from the same data reference must get the same SHA-256, and a worker that cannot rebuild it
/// fetches these bytes from the coordinator. Layout, little-endian: magic "SLDS", version, rows, columns,
/// class count, element kind (0 float32, 1 byte), byte scale, then the features row-major, then the targets: version
/// 1 holds class labels as int32; version 2 holds regression values as float32, rows × width, with the width where
/// version 1 has the class count.
/// </summary>
public static class TrainingSetBlob
{
    private const uint Magic = 0x53444C53;
    private const int ClassesVersion = 1;
    private const int ValuesVersion = 2;
    private const int HeaderBytes = 28;

    public static byte[] Encode(Features features, Targets targets, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Rows != features.Rows)
        {
            throw new ArgumentException($"{targets.Rows} target rows for {features.Rows} rows", nameof(targets));
        }

        var isBytes = features is ByteFeatures;
        var cells = (long)features.Rows * features.Columns;
        var featureBytes = isBytes ? cells : cells * sizeof(float);
        var targetCount = (long)targets.Rows * targets.Width;
        var blob = new byte[checked(HeaderBytes + featureBytes + targetCount * sizeof(int))];
        var span = blob.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], targets.IsRegression ? ValuesVersion : ClassesVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], features.Rows);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], features.Columns);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], targets.IsRegression ? targets.Width : classCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], isBytes ? 1 : 0);
        BinaryPrimitives.WriteSingleLittleEndian(span[24..], features is ByteFeatures b ? b.Scale : 1f);
        var body = span.Slice(HeaderBytes, (int)featureBytes);
        if (features is ByteFeatures bytes)
        {
            bytes.Values.CopyTo(body);
        }
        else
        {
            var row = new float[features.Columns];
            for (var r = 0; r < features.Rows; r++)
            {
                features.CopyRows(r, 1, row);
                for (var c = 0; c < row.Length; c++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(body[(((r * row.Length) + c) * sizeof(float))..], row[c]);
                }
            }
        }

        var labelSpan = span[(HeaderBytes + (int)featureBytes)..];
        if (targets.IsRegression)
        {
            var values = targets.Values;
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(labelSpan[(i * sizeof(float))..], values[i]);
            }
        }
        else
        {
            var labels = targets.Classes;
            for (var i = 0; i < labels.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(labelSpan[(i * sizeof(int))..], labels[i]);
            }
        }

        return blob;
    }

    public static string Sha256(ReadOnlySpan<byte> blob) => Convert.ToHexStringLower(SHA256.HashData(blob));

    /// <summary>Decodes a blob; <paramref name="source"/> names it in errors.</summary>
    public static LabeledData Decode(byte[] blob, string source)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var span = blob.AsSpan();
        var version = blob.Length < HeaderBytes ? 0 : BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        if (blob.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic || version is not (ClassesVersion or ValuesVersion))
        {
            throw new BadInputException($"{source}: not a SegaLearn training-set blob");
        }

        int rows = BinaryPrimitives.ReadInt32LittleEndian(span[8..]), columns = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        int classes = BinaryPrimitives.ReadInt32LittleEndian(span[16..]), kind = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        var scale = BinaryPrimitives.ReadSingleLittleEndian(span[24..]);
        var cells = (long)rows * columns;
        var featureBytes = kind == 1 ? cells : cells * sizeof(float);
        var width = version == ValuesVersion ? classes : 1;
        if (rows < 0 || columns < 0 || width < 1 || kind is not (0 or 1) || blob.Length != HeaderBytes + featureBytes + (long)rows * width * sizeof(int))
        {
            throw new BadInputException($"{source}: training-set blob of {blob.Length} bytes does not match its header ({rows}x{columns})");
        }

        var body = span.Slice(HeaderBytes, (int)featureBytes);
        Features features;
        if (kind == 1)
        {
            features = new ByteFeatures(body.ToArray(), rows, columns, scale);
        }
        else
        {
            var values = new float[cells];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(i * sizeof(float))..]);
            }

            features = new DenseFeatures(values, rows, columns);
        }

        var labelBytes = span[(HeaderBytes + (int)featureBytes)..];
        if (version == ValuesVersion)
        {
            var values = new float[(long)rows * width];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(labelBytes[(i * sizeof(float))..]);
            }

            return new LabeledData(features, Targets.FromValues(values, width), source);
        }

        var labels = MemoryMarshal.Cast<byte, int>(labelBytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(labels, labels);
        }

        return new LabeledData(features, labels, classes, source);
    }
}

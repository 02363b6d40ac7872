using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SegaLearn.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON header,
/// then the raw little-endian tensor data. The header maps each tensor name to
/// <c>{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}</c> (offsets into the data section) and may hold
/// <c>"__metadata__"</c>, a string-to-string map. Only F32 is read and written.
/// <para>
/// Writing is deterministic: metadata first, tensors in the given order, keys in the order dtype, shape,
/// data_offsets, no indentation, the header padded with spaces to a multiple of 8 bytes, and nothing else (no
/// timestamps), so the same input gives the same bytes. Reading is strict: any inconsistency is a
/// <see cref="BadInputException"/> of one line that names the file and the problem.
/// </para>
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>The header key of the metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted when reading (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string F32 = "F32";

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = Header(tensors, metadata);
        AtomicFile.Write(path, stream => Write(stream, header, tensors));
    }

    /// <summary>Writes <paramref name="tensors"/> (in this order) and <paramref name="metadata"/> (in this order) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        Write(stream, Header(tensors, metadata), tensors);
    }

    /// <summary>Reads and validates the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="BadInputException">The file is missing, truncated or inconsistent, or holds a dtype other than F32.</exception>
    public static SafeTensorsContent Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new BadInputException($"safetensors file '{path}' not found");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads and validates a safetensors file from a seekable <paramref name="stream"/>; <paramref name="name"/> is used in messages.</summary>
    /// <exception cref="BadInputException">The content is truncated or inconsistent, or holds a dtype other than F32.</exception>
    public static SafeTensorsContent Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("the stream must be seekable", nameof(stream));
        }

        var start = stream.Position;
        var length = stream.Length - start;
        if (length < 8)
        {
            throw Bad(name, $"truncated (file has {length} bytes, less than the 8-byte header length)");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw Bad(name, $"not a safetensors file (header length {headerLength} is over 100 MB)");
        }

        if ((long)headerLength > length - 8)
        {
            throw Bad(name, $"truncated (header declares {headerLength} bytes, file has {length})");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var dataLength = length - 8 - (long)headerLength;
        var entries = ParseHeader(headerBytes, name, out var metadata);

        // Offsets must tile the data section exactly: sorted, starting at 0, no overlap, no gap, ending at its end.
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.End > dataLength)
            {
                throw Bad(name, $"truncated (tensor '{entry.Name}' ends at byte {entry.End} of the data, which has {dataLength})");
            }

            if (entry.Begin < expected)
            {
                throw Bad(name, $"tensor '{entry.Name}' data_offsets [{entry.Begin},{entry.End}] overlap another tensor's");
            }

            if (entry.Begin > expected)
            {
                throw Bad(name, $"data bytes {expected} to {entry.Begin} are not covered by any tensor");
            }

            expected = entry.End;
        }

        if (expected != dataLength)
        {
            throw Bad(name, $"data bytes {expected} to {dataLength} are not covered by any tensor");
        }

        var dataStart = start + 8 + (long)headerLength;
        var tensors = new List<SafeTensor>(entries.Count);
        foreach (var entry in entries)
        {
            var values = new float[(entry.End - entry.Begin) / sizeof(float)];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                var bits = MemoryMarshal.Cast<float, int>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }

            tensors.Add(new SafeTensor(entry.Name, entry.Shape, values));
        }

        return new SafeTensorsContent(metadata, tensors);
    }

    private static byte[] Header(IReadOnlyList<SafeTensor> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"tensor '{tensor.Name}' is given twice", nameof(tensors));
            }
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                var keys = new HashSet<string>(StringComparer.Ordinal);
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                    ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                    if (!keys.Add(key))
                    {
                        throw new ArgumentException($"metadata key '{key}' is given twice", nameof(metadata));
                    }

                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", F32);
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                var end = offset + ((long)tensor.Data.Length * sizeof(float));
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        while (buffer.Length % 8 != 0)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }

    private static void Write(Stream stream, byte[] header, IReadOnlyList<SafeTensor> tensors)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var tensor in tensors)
        {
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
            }
            else
            {
                var swapped = new int[tensor.Data.Length];
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(tensor.Data.AsSpan()), swapped);
                stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
            }
        }
    }

    private static List<Entry> ParseHeader(byte[] header, string name, out IReadOnlyDictionary<string, string> metadata)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException)
        {
            throw Bad(name, "not a safetensors file (header is not JSON)");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(name, "not a safetensors file (header is not a JSON object)");
            }

            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Bad(name, $"header names '{property.Name}' twice");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, name, meta);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, name));
                }
            }

            metadata = meta;
            return entries;
        }
    }

    private static void ReadMetadata(JsonElement element, string name, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Bad(name, $"'{MetadataKey}' is not a JSON object");
        }

        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Bad(name, $"metadata '{item.Name}' is not a string");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Bad(name, $"metadata names '{item.Name}' twice");
            }
        }
    }

    private static Entry ReadEntry(string tensor, JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Bad(name, $"tensor '{tensor}' is not described by a JSON object");
        }

        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (var field in element.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null && field.Value.ValueKind == JsonValueKind.String:
                    dtype = field.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = Integers(field.Value, tensor, "shape", name).Select(d => d <= int.MaxValue
                        ? (int)d
                        : throw Bad(name, $"tensor '{tensor}' has a dimension of {d}, too large")).ToArray();
                    break;
                case "data_offsets" when offsets is null:
                    offsets = Integers(field.Value, tensor, "data_offsets", name);
                    break;
                default:
                    throw Bad(name, $"tensor '{tensor}' has an unexpected or malformed field '{field.Name}'");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            var missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Bad(name, $"tensor '{tensor}' has no '{missing}'");
        }

        if (dtype != F32)
        {
            throw Bad(name, $"tensor '{tensor}' has dtype '{dtype}'; only F32 is supported");
        }

        if (offsets.Length != 2 || offsets[0] > offsets[1])
        {
            throw Bad(name, $"tensor '{tensor}' has data_offsets [{string.Join(',', offsets)}], not [begin,end] with begin <= end");
        }

        long count = 1;
        foreach (var dimension in shape)
        {
            count *= dimension;
            if (count > int.MaxValue)
            {
                throw Bad(name, $"tensor '{tensor}' of shape {SafeTensor.ShapeText(shape)} is too large");
            }
        }

        var bytes = offsets[1] - offsets[0];
        if (count * sizeof(float) != bytes)
        {
            throw Bad(name, $"tensor '{tensor}' of shape {SafeTensor.ShapeText(shape)} needs {count * sizeof(float)} bytes as F32, its data_offsets span {bytes}");
        }

        return new Entry(tensor, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(JsonElement element, string tensor, string field, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Bad(name, $"tensor '{tensor}' has a '{field}' that is not a list of integers");
        }

        var values = new List<long>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value) || value < 0)
            {
                throw Bad(name, $"tensor '{tensor}' has a '{field}' that is not a list of non-negative integers");
            }

            values.Add(value);
        }

        return values.ToArray();
    }

    private static BadInputException Bad(string name, string problem) => new(string.Create(CultureInfo.InvariantCulture, $"{name}: {problem}"));

    private sealed record Entry(string Name, int[] Shape, long Begin, long End);
}

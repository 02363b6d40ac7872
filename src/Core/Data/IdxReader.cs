using System.Buffers.Binary;
using System.IO.Compression;

namespace SegaLearn.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format): a big-endian header — magic <c>00 00 TYPE NDIMS</c>, then
/// NDIMS 32-bit sizes — followed by the data. Only unsigned bytes (TYPE 0x08) are supported: labels have magic
/// 0x00000801 (one dimension), images 0x00000803 (count, rows, columns). Files may be raw or gzip-compressed;
/// gzip is recognized by its magic bytes 1f 8b, whatever the file is called.
/// </summary>
public static class IdxReader
{
    public const int LabelsMagic = 0x00000801;
    public const int ImagesMagic = 0x00000803;

    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads a label file (magic 0x00000801): one byte per item.</summary>
    public static byte[] ReadLabels(string path) => Read(path, dimensions: 1, "label", out _);

    /// <summary>
    /// Reads an image file (magic 0x00000803) as a matrix of count rows by (height x width) columns, whose bytes
    /// are multiplied by <paramref name="scale"/> when gathered.
    /// </summary>
    public static ByteFeatures ReadImages(string path, float scale = 1f)
    {
        var data = Read(path, dimensions: 3, "image", out var sizes);
        return new ByteFeatures(data, sizes[0], sizes[1] * sizes[2], scale);
    }

    private static byte[] Read(string path, int dimensions, string kind, out int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new BadInputException($"{path}: file not found");
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> magic = stackalloc byte[2];
            var gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            file.Position = 0;
            using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return ReadFrom(stream, path, dimensions, kind, gzip ? null : file.Length, out sizes);
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"{path}: corrupt gzip data ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read ({e.Message})", e);
        }
    }

    private static byte[] ReadFrom(Stream stream, string path, int dimensions, string kind, long? fileLength, out int[] sizes)
    {
        var expectedMagic = 0x0800 | dimensions;
        Span<byte> header = stackalloc byte[4 + 4 * dimensions];
        if (stream.ReadAtLeast(header.Slice(0, 4), 4, throwOnEndOfStream: false) < 4)
        {
            throw new BadInputException($"{path}: truncated IDX header (expected an IDX {kind} file)");
        }

        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (header[0] != 0 || header[1] != 0)
        {
            throw new BadInputException(
                $"{path}: wrong magic number 0x{magic:X8}, expected 0x{expectedMagic:X8} (an IDX {kind} file)");
        }

        if (header[2] != UnsignedByteType)
        {
            throw new BadInputException(
                $"{path}: unsupported IDX data type 0x{header[2]:X2} (only unsigned bytes, 0x08, are supported)");
        }

        if (magic != expectedMagic)
        {
            throw new BadInputException(
                $"{path}: wrong magic number 0x{magic:X8}, expected 0x{expectedMagic:X8} (an IDX {kind} file)");
        }

        var sizesBytes = header.Slice(4);
        if (stream.ReadAtLeast(sizesBytes, sizesBytes.Length, throwOnEndOfStream: false) < sizesBytes.Length)
        {
            throw new BadInputException($"{path}: truncated IDX header ({dimensions} dimension sizes expected)");
        }

        sizes = new int[dimensions];
        long total = 1;
        for (var d = 0; d < dimensions; d++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(sizesBytes.Slice(4 * d, 4));
            if (size > int.MaxValue)
            {
                throw new BadInputException($"{path}: dimension {d} has an impossible size {size}");
            }

            sizes[d] = (int)size;
            total *= size;
            if (total > Array.MaxLength)
            {
                throw new BadInputException($"{path}: the header's sizes ({string.Join(" x ", sizes[..(d + 1)])}) are too large");
            }
        }

        var itemBytes = sizes.Length == 1 ? 1 : total / Math.Max(1, sizes[0]);
        if (fileLength is { } length && length - header.Length < total)
        {
            throw Truncated(path, sizes[0], itemBytes, total, length - header.Length);
        }

        var data = new byte[total];
        var read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
        {
            throw Truncated(path, sizes[0], itemBytes, total, read);
        }

        return data;
    }

    private static BadInputException Truncated(string path, int items, long itemBytes, long total, long available) =>
        new($"{path}: truncated data: the header says {items} items of {itemBytes} bytes ({total} bytes), the file has {available}");
}

using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace SegaLearn.Data;

// Files are read by mapping them and parsing chunks of whole lines in parallel, straight from the UTF-8 bytes, with no
// string per line or cell. The result is the streaming reader's, to the bit and to the message: the chunks' label
// texts are numbered in file order, and the first error of the first chunk that has one is the file's first error.
// Files that need what only the streaming reader does (quotes, a line break that is a lone CR, other encodings,
// non-ASCII text, more than 2 GiB) go to it.
public static partial class CsvDataReader
{
    /// <summary>Bytes of the body per parallel chunk at least: below this, splitting costs more than it saves.</summary>
    internal const int MinChunkBytes = 1 << 18;

    private static T ReadMapped<T>(string path, Func<ReadOnlySpan<byte>, T?> chunked, Func<TextReader, T> streamed)
        where T : class
    {
        if (Directory.Exists(path))
        {
            throw new BadInputException($"{path}: is a directory, not a CSV file");
        }

        if (!File.Exists(path))
        {
            throw new BadInputException($"{path}: file not found");
        }

        long length;
        try
        {
            length = new FileInfo(path).Length;
            if (length > 0 && length < int.MaxValue)
            {
                using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                using var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                unsafe
                {
                    byte* pointer = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                    try
                    {
                        if (chunked(new ReadOnlySpan<byte>(pointer + view.PointerOffset, (int)length)) is { } result)
                        {
                            return result;
                        }
                    }
                    finally
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read ({e.Message})", e);
        }

        return WithFile(path, streamed);
    }

    /// <summary>Whether the chunked reader reads <paramref name="bytes"/> exactly as the streaming one would.</summary>
    private static bool Chunkable(ReadOnlySpan<byte> bytes)
    {
        if (!Ascii.IsValid(bytes) || bytes.Contains((byte)'"'))
        {
            return false;
        }

        for (var at = bytes.IndexOf((byte)'\r'); at >= 0; at = NextIndex(bytes, at + 1, (byte)'\r'))
        {
            if (at + 1 >= bytes.Length || bytes[at + 1] != '\n')
            {
                return false;
            }
        }

        return true;
    }

    private static int NextIndex(ReadOnlySpan<byte> bytes, int from, byte value)
    {
        var found = bytes[from..].IndexOf(value);
        return found < 0 ? -1 : from + found;
    }

    /// <summary>Parses the rows after the header line (ending at <paramref name="bodyStart"/>) in chunks, in parallel.</summary>
    private static unsafe ParsedRows ParseChunks(ReadOnlySpan<byte> bytes, int bodyStart, string source, string[] header, int labelIndex)
    {
        var columns = labelIndex < 0 ? header.Length : header.Length - 1;
        var body = bytes[bodyStart..];
        var count = (int)Math.Clamp(body.Length / MinChunkBytes, 1, Environment.ProcessorCount * 4);
        var bounds = new int[count + 1];
        for (var c = 1; c < count; c++)
        {
            var at = Math.Max(bounds[c - 1], (int)((long)body.Length * c / count));
            var newline = NextIndex(body, at, (byte)'\n');
            bounds[c] = newline < 0 ? body.Length : newline + 1;
        }

        bounds[count] = body.Length;
        var chunks = new Chunk[count];
        fixed (byte* start = body)
        {
            var pointer = start;
            Parallel.For(0, count, c =>
            {
                var part = new ReadOnlySpan<byte>(pointer + bounds[c], bounds[c + 1] - bounds[c]);
                chunks[c] = Chunk.Parse(part, header, labelIndex, columns);
            });
        }

        var linesBefore = 1;
        foreach (var chunk in chunks)
        {
            if (chunk.Error is { } error)
            {
                var line = linesBefore + error.Line;
                throw error.Column < 0
                    ? new BadInputException($"{source}:{line}: {error.Message}")
                    : Error(source, line, error.Column, header, error.Message);
            }

            linesBefore += chunk.Lines;
        }

        return Merge(chunks, header, labelIndex, columns);
    }

    private static ParsedRows Merge(Chunk[] chunks, string[] header, int labelIndex, int columns)
    {
        var rows = chunks.Sum(c => c.Rows);
        var values = new float[(long)rows * columns];
        var labelIds = new List<int>(labelIndex < 0 ? 0 : rows);
        var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
        var labelTexts = new List<string>();
        var labelFirstLines = new List<int>();
        var offset = 0L;
        var linesBefore = 1;
        foreach (var chunk in chunks)
        {
            chunk.Values.AsSpan(0, chunk.Rows * columns).CopyTo(values.AsSpan((int)offset));
            offset += (long)chunk.Rows * columns;
            var global = new int[chunk.LabelTexts.Count];
            for (var local = 0; local < global.Length; local++)
            {
                var text = chunk.LabelTexts[local];
                if (!distinct.TryGetValue(text, out var id))
                {
                    id = distinct.Count;
                    distinct.Add(text, id);
                    labelTexts.Add(text);
                    labelFirstLines.Add(linesBefore + chunk.LabelFirstLines[local]);
                }

                global[local] = id;
            }

            foreach (var local in chunk.LabelIds)
            {
                labelIds.Add(global[local]);
            }

            linesBefore += chunk.Lines;
        }

        var featureNames = header.Where((_, c) => c != labelIndex).ToArray();
        return new ParsedRows(values, rows, featureNames, labelIds, labelTexts, labelFirstLines);
    }

    /// <summary>One chunk's rows; lines are counted from 1 within the chunk.</summary>
    private sealed class Chunk
    {
        private readonly Dictionary<string, int> _distinct = new(StringComparer.Ordinal);

        public float[] Values { get; private set; } = [];

        public int Rows { get; private set; }

        public int Lines { get; private set; }

        public List<int> LabelIds { get; } = [];

        public List<string> LabelTexts { get; } = [];

        public List<int> LabelFirstLines { get; } = [];

        public (int Line, int Column, string Message)? Error { get; private set; }

        public static Chunk Parse(ReadOnlySpan<byte> bytes, string[] header, int labelIndex, int columns)
        {
            // Sized for every line being a row, so that the buffer is never regrown and copied.
            var chunk = new Chunk { Values = new float[(long)(bytes.Count((byte)'\n') + 1) * columns] };
            var lookup = chunk._distinct.GetAlternateLookup<ReadOnlySpan<char>>();
            Span<char> text = stackalloc char[256];
            while (!bytes.IsEmpty)
            {
                var newline = bytes.IndexOf((byte)'\n');
                var line = newline < 0 ? bytes : bytes[..newline];
                bytes = newline < 0 ? default : bytes[(newline + 1)..];
                chunk.Lines++;
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line = line[..^1];
                }

                if (IsBlank(line))
                {
                    continue;
                }

                if (Fields(line) != header.Length)
                {
                    chunk.Error = (chunk.Lines, -1, $"row has {Fields(line)} values, header has {header.Length}");
                    return chunk;
                }

                var row = chunk.AppendRow(columns);
                for (int c = 0, f = 0; c < header.Length; c++)
                {
                    var comma = line.IndexOf((byte)',');
                    var cell = comma < 0 ? line : line[..comma];
                    line = comma < 0 ? default : line[(comma + 1)..];
                    if (c == labelIndex)
                    {
                        var label = Trim(cell);
                        if (label.IsEmpty)
                        {
                            chunk.Error = (chunk.Lines, c, "empty label");
                            return chunk;
                        }

                        var chars = label.Length <= text.Length ? text[..label.Length] : new char[label.Length];
                        Encoding.ASCII.GetChars(label, chars);
                        if (!lookup.TryGetValue(chars, out var id))
                        {
                            id = chunk._distinct.Count;
                            var name = chars.ToString();
                            chunk._distinct.Add(name, id);
                            chunk.LabelTexts.Add(name);
                            chunk.LabelFirstLines.Add(chunk.Lines);
                        }

                        chunk.LabelIds.Add(id);
                        continue;
                    }

                    if (!TryParseShort(cell, out var value) && !float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                    {
                        chunk.Error = (chunk.Lines, c, Trim(cell).IsEmpty ? "empty cell, expected a number" : $"'{Encoding.ASCII.GetString(cell)}' is not a number");
                        return chunk;
                    }

                    if (!float.IsFinite(value))
                    {
                        chunk.Error = (chunk.Lines, c, "NaN or infinite value");
                        return chunk;
                    }

                    row[f++] = value;
                }
            }

            return chunk;
        }

        /// <summary>
        /// The common case of a number, at a fraction of <see cref="float.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out float)"/>'s
        /// cost: optional blanks and sign, digits with an optional point and exponent, whose significand m is below 2^24
        /// and whose power of ten |e| is at most 10. Then m and 10^|e| are exact floats and m·10^e or m/10^-e is one
        /// correctly rounded operation, the very float that float.Parse returns. Anything else returns false, for it.
        /// </summary>
        private static bool TryParseShort(ReadOnlySpan<byte> text, out float value)
        {
            value = 0;
            var i = 0;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            var negative = false;
            if (i < text.Length && (text[i] == '-' || text[i] == '+'))
            {
                negative = text[i] == '-';
                i++;
            }

            var significand = 0;
            var digits = 0;
            var exponent = 0;
            for (; i < text.Length && (uint)(text[i] - '0') <= 9; i++, digits++)
            {
                significand = significand * 10 + (text[i] - '0');
                if (significand >= 1 << 24)
                {
                    return false;
                }
            }

            if (i < text.Length && text[i] == '.')
            {
                for (i++; i < text.Length && (uint)(text[i] - '0') <= 9; i++, digits++, exponent--)
                {
                    significand = significand * 10 + (text[i] - '0');
                    if (significand >= 1 << 24)
                    {
                        return false;
                    }
                }
            }

            if (digits == 0)
            {
                return false;
            }

            if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
            {
                i++;
                var negativeExponent = i < text.Length && text[i] == '-';
                if (i < text.Length && (text[i] == '-' || text[i] == '+'))
                {
                    i++;
                }

                var start = i;
                var power = 0;
                for (; i < text.Length && (uint)(text[i] - '0') <= 9 && i - start < 4; i++)
                {
                    power = power * 10 + (text[i] - '0');
                }

                if (i == start || (i < text.Length && (uint)(text[i] - '0') <= 9))
                {
                    return false;
                }

                exponent += negativeExponent ? -power : power;
            }

            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            if (i != text.Length || exponent is < -10 or > 10)
            {
                return false;
            }

            float magnitude = significand;
            magnitude = exponent >= 0 ? magnitude * PowersOfTen[exponent] : magnitude / PowersOfTen[-exponent];
            value = negative ? -magnitude : magnitude;
            return true;
        }

        private static ReadOnlySpan<float> PowersOfTen => [1f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];

        private Span<float> AppendRow(int columns)
        {
            var used = Rows * columns;
            if (used + columns > Values.Length)
            {
                var values = Values;
                Array.Resize(ref values, Math.Max(values.Length * 2, used + columns));
                Values = values;
            }

            Rows++;
            return Values.AsSpan(used, columns);
        }

        private static int Fields(ReadOnlySpan<byte> line) => line.Count((byte)',') + 1;

        private static bool IsBlank(ReadOnlySpan<byte> line)
        {
            foreach (var b in line)
            {
                if (!char.IsWhiteSpace((char)b))
                {
                    return false;
                }
            }

            return true;
        }

        private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> cell)
        {
            var (start, end) = (0, cell.Length);
            while (start < end && char.IsWhiteSpace((char)cell[start]))
            {
                start++;
            }

            while (end > start && char.IsWhiteSpace((char)cell[end - 1]))
            {
                end--;
            }

            return cell[start..end];
        }
    }
}

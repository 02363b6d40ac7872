using System.Globalization;
using System.Text;

namespace SegaLearn.Data;

/// <summary>
/// Reads a comma-separated file whose first line names the columns: one column is the label, every other column
/// is a numeric feature. The file is streamed line by line. Labels that are all non-negative integers are class
/// indices (ClassCount = largest + 1); otherwise each distinct label text is a class, numbered in ordinal order
/// of the texts (<see cref="LabeledData.ClassNames"/>). Read as <see cref="TargetKind.Values"/>, labels are numbers
/// (parsed as the features are) for regression. Every problem is a <see cref="BadInputException"/> with a
/// one-line message <c>FILE:LINE:COLUMN (column 'NAME'): what is wrong</c> (lines and columns 1-based, header = line 1).
/// </summary>
public static partial class CsvDataReader
{
    /// <summary>The largest integer label accepted as a class index.</summary>
    public const int MaxIntegerLabel = 65_535;

    /// <summary>
    /// Reads <paramref name="path"/>. <paramref name="labelColumn"/> is a column name, or a 0-based column index
    /// written as text; null means the last column. <paramref name="targets"/> says how labels are read.
    /// </summary>
    public static LabeledData Read(string path, string? labelColumn = null, TargetKind targets = TargetKind.Classes)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        return ReadMapped(
            path,
            bytes => Chunkable(bytes) ? ReadChunked(bytes, path, labelColumn, name, targets) : null,
            reader => Read(reader, path, labelColumn, name, targets));
    }

    private static LabeledData ReadChunked(ReadOnlySpan<byte> bytes, string source, string? labelColumn, string name, TargetKind targets)
    {
        var (header, bodyStart) = ReadHeader(bytes, source, minimumColumns: 2);
        var labelIndex = FindLabelColumn(header, labelColumn, source);
        return Finish(ParseChunks(bytes, bodyStart, source, header, labelIndex), header, labelIndex, source, name, targets);
    }

    private static (string[] Header, int BodyStart) ReadHeader(ReadOnlySpan<byte> bytes, string source, int minimumColumns)
    {
        var newline = bytes.IndexOf((byte)'\n');
        var line = newline < 0 ? bytes : bytes[..newline];
        if (line.Length > 0 && line[^1] == '\r')
        {
            line = line[..^1];
        }

        var header = ReadHeader(new StringReader(Encoding.ASCII.GetString(line)), source, [], minimumColumns);
        return (header, newline < 0 ? bytes.Length : newline + 1);
    }

    /// <summary>Streams a file that <see cref="ReadMapped"/> has already found to exist and to be no directory.</summary>
    private static T WithFile<T>(string path, Func<TextReader, T> read)
    {
        try
        {
            using var reader = new StreamReader(
                path,
                Encoding.UTF8,
                detectEncodingFromByteOrderMarks: true,
                new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16 });
            return read(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads CSV text from <paramref name="reader"/>; <paramref name="source"/> names it in messages and
    /// <paramref name="name"/> (default: <paramref name="source"/>) becomes <see cref="LabeledData.Name"/>.
    /// </summary>
    public static LabeledData Read(TextReader reader, string source, string? labelColumn = null, string? name = null, TargetKind targets = TargetKind.Classes)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        var fields = new List<Field>();
        var header = ReadHeader(reader, source, fields, minimumColumns: 2);
        var labelIndex = FindLabelColumn(header, labelColumn, source);
        return Finish(ParseRows(reader, source, header, labelIndex, fields), header, labelIndex, source, name ?? source, targets);
    }

    private static LabeledData Finish(ParsedRows rows, string[] header, int labelIndex, string source, string name, TargetKind targets)
    {
        if (rows.LabelIds.Count == 0)
        {
            throw new BadInputException($"{source}: no data rows");
        }

        if (targets == TargetKind.Values)
        {
            var valueOfId = LabelValues(rows.LabelTexts, rows.LabelFirstLines, source, labelIndex, header);
            var values = new float[rows.LabelIds.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = valueOfId[rows.LabelIds[i]];
            }

            return new LabeledData(new DenseFeatures(rows.Values, values.Length, header.Length - 1), Targets.FromValues(values), name, rows.FeatureNames);
        }

        var (classOfId, classCount, classNames) =
            IntegerClasses(rows.LabelTexts, rows.LabelFirstLines, source, labelIndex, header) ?? StringClasses(rows.LabelTexts);
        var labels = new int[rows.LabelIds.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = classOfId[rows.LabelIds[i]];
        }

        var features = new DenseFeatures(rows.Values, labels.Length, header.Length - 1);
        return new LabeledData(features, labels, classCount, name, classNames, rows.FeatureNames);
    }

    /// <summary>
    /// Reads a CSV file that has no label column (every column is a feature), for prediction on new data; the same
    /// checks and messages as <see cref="Read(string, string?, TargetKind)"/>.
    /// </summary>
    public static DenseFeatures ReadUnlabeled(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ReadMapped(path, bytes => Chunkable(bytes) ? ReadUnlabeledChunked(bytes, path) : null, reader => ReadUnlabeled(reader, path));
    }

    private static DenseFeatures ReadUnlabeledChunked(ReadOnlySpan<byte> bytes, string source)
    {
        var (header, bodyStart) = ReadHeader(bytes, source, minimumColumns: 1);
        return Unlabeled(ParseChunks(bytes, bodyStart, source, header, -1), header, source);
    }

    /// <summary>Reads unlabeled CSV text from <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    public static DenseFeatures ReadUnlabeled(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        var fields = new List<Field>();
        var header = ReadHeader(reader, source, fields, minimumColumns: 1);
        return Unlabeled(ParseRows(reader, source, header, -1, fields), header, source);
    }

    private static DenseFeatures Unlabeled(ParsedRows rows, string[] header, string source)
    {
        if (rows.Count == 0)
        {
            throw new BadInputException($"{source}: no data rows");
        }

        return new DenseFeatures(rows.Values, rows.Count, header.Length);
    }

    private static string[] ReadHeader(TextReader reader, string source, List<Field> fields, int minimumColumns)
    {
        var headerLine = reader.ReadLine();
        if (headerLine is null || headerLine.Trim().Length == 0)
        {
            throw new BadInputException($"{source}: empty file (expected a header line with the column names)");
        }

        Split(headerLine, fields, source, 1, null);
        var header = new string[fields.Count];
        for (var i = 0; i < header.Length; i++)
        {
            header[i] = fields[i].Text(headerLine).Trim();
        }

        if (header.Length < minimumColumns)
        {
            throw new BadInputException(
                $"{source}:1: the header has {header.Length} column, needs a label column and at least one feature column");
        }

        return header;
    }

    private sealed record ParsedRows(float[] Values, int Count, string[] FeatureNames, List<int> LabelIds, List<string> LabelTexts, List<int> LabelFirstLines);

    private static ParsedRows ParseRows(TextReader reader, string source, string[] header, int labelIndex, List<Field> fields)
    {
        var columns = labelIndex < 0 ? header.Length : header.Length - 1;
        var featureNames = new string[columns];
        for (int c = 0, f = 0; c < header.Length; c++)
        {
            if (c != labelIndex)
            {
                featureNames[f++] = header[c];
            }
        }

        var values = new FloatBuffer(source);
        var labelIds = new List<int>();
        var distinctLabels = new Dictionary<string, int>(StringComparer.Ordinal);
        var labelTexts = new List<string>();
        var labelFirstLines = new List<int>();
        var lineNumber = 1;
        var count = 0;

        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            Split(line, fields, source, lineNumber, header);
            if (fields.Count != header.Length)
            {
                throw new BadInputException(
                    $"{source}:{lineNumber}: row has {fields.Count} values, header has {header.Length}");
            }

            count++;
            var row = values.AppendRow(columns);
            for (int c = 0, f = 0; c < fields.Count; c++)
            {
                var cell = fields[c].Span(line);
                if (c == labelIndex)
                {
                    var text = cell.Trim().ToString();
                    if (text.Length == 0)
                    {
                        throw Error(source, lineNumber, c, header, "empty label");
                    }

                    if (!distinctLabels.TryGetValue(text, out var id))
                    {
                        id = distinctLabels.Count;
                        distinctLabels.Add(text, id);
                        labelTexts.Add(text);
                        labelFirstLines.Add(lineNumber);
                    }

                    labelIds.Add(id);
                    continue;
                }

                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    throw Error(
                        source,
                        lineNumber,
                        c,
                        header,
                        cell.Trim().Length == 0 ? "empty cell, expected a number" : $"'{cell.ToString()}' is not a number");
                }

                if (!float.IsFinite(value))
                {
                    throw Error(source, lineNumber, c, header, "NaN or infinite value");
                }

                row[f++] = value;
            }
        }

        return new ParsedRows(values.ToArray(), count, featureNames, labelIds, labelTexts, labelFirstLines);
    }

    private static int FindLabelColumn(string[] header, string? labelColumn, string source)
    {
        if (labelColumn is null)
        {
            return header.Length - 1;
        }

        var wanted = labelColumn.Trim();
        var byName = Array.IndexOf(header, wanted);
        if (byName >= 0)
        {
            return byName;
        }

        if (int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index < header.Length)
            {
                return index;
            }

            throw new BadInputException(
                $"{source}: label column index {index} is outside 0..{header.Length - 1} (columns: {string.Join(", ", header)})");
        }

        throw new BadInputException(
            $"{source}: label column '{labelColumn}' not found (columns: {string.Join(", ", header)})");
    }

    /// <summary>Regression targets: every distinct label text parsed as a finite number, or an error at its first line.</summary>
    private static float[] LabelValues(List<string> texts, List<int> firstLines, string source, int labelIndex, string[] header)
    {
        var values = new float[texts.Count];
        for (var id = 0; id < texts.Count; id++)
        {
            if (!float.TryParse(texts[id], NumberStyles.Float, CultureInfo.InvariantCulture, out values[id]))
            {
                throw Error(source, firstLines[id], labelIndex, header, $"label '{texts[id]}' is not a number (a regression loss reads labels as numbers)");
            }

            if (!float.IsFinite(values[id]))
            {
                throw Error(source, firstLines[id], labelIndex, header, "NaN or infinite label");
            }
        }

        return values;
    }

    /// <summary>Classes when every label text is a non-negative integer: the integer is the class index.</summary>
    private static (int[] ClassOfId, int ClassCount, IReadOnlyList<string>? Names)? IntegerClasses(
        List<string> texts, List<int> firstLines, string source, int labelIndex, string[] header)
    {
        var classOfId = new int[texts.Count];
        var max = -1;
        var maxId = -1;
        for (var id = 0; id < texts.Count; id++)
        {
            if (!long.TryParse(texts[id], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            if (value > MaxIntegerLabel)
            {
                maxId = id;
                max = int.MaxValue;
                continue;
            }

            classOfId[id] = (int)value;
            if (value > max)
            {
                max = (int)value;
                maxId = id;
            }
        }

        if (max > MaxIntegerLabel)
        {
            throw Error(
                source,
                firstLines[maxId],
                labelIndex,
                header,
                $"label {texts[maxId]} is too large for a class index (largest allowed {MaxIntegerLabel})");
        }

        return (classOfId, max + 1, null);
    }

    /// <summary>Classes for text labels: one per distinct text, numbered in ordinal order.</summary>
    private static (int[] ClassOfId, int ClassCount, IReadOnlyList<string>? Names) StringClasses(List<string> texts)
    {
        var sorted = texts.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        var classOfId = new int[texts.Count];
        for (var id = 0; id < texts.Count; id++)
        {
            classOfId[id] = Array.BinarySearch(sorted, texts[id], StringComparer.Ordinal);
        }

        return (classOfId, sorted.Length, sorted);
    }

    private static BadInputException Error(string source, int line, int column, string[] header, string message) =>
        new($"{source}:{line}:{column + 1} (column '{header[column]}'): {message}");

    /// <summary>
    /// Splits one line at commas into <paramref name="fields"/>. A field may be wrapped in double quotes, inside
    /// which commas are literal and <c>""</c> is one quote; quoted fields cannot span lines.
    /// </summary>
    private static void Split(string line, List<Field> fields, string source, int lineNumber, string[]? header)
    {
        fields.Clear();
        var i = 0;
        while (true)
        {
            var start = i;
            while (start < line.Length && line[start] == ' ')
            {
                start++;
            }

            if (start < line.Length && line[start] == '"')
            {
                var column = fields.Count;
                StringBuilder? unescaped = null;
                var contentStart = start + 1;
                var j = contentStart;
                while (true)
                {
                    var quote = line.IndexOf('"', j);
                    if (quote < 0)
                    {
                        throw FieldError(source, lineNumber, column, header, "unterminated quoted field");
                    }

                    if (quote + 1 < line.Length && line[quote + 1] == '"')
                    {
                        unescaped ??= new StringBuilder();
                        unescaped.Append(line, j, quote + 1 - j);
                        j = quote + 2;
                        continue;
                    }

                    fields.Add(unescaped is null
                        ? new Field(contentStart, quote - contentStart, null)
                        : new Field(0, 0, unescaped.Append(line, j, quote - j).ToString()));
                    i = quote + 1;
                    while (i < line.Length && line[i] == ' ')
                    {
                        i++;
                    }

                    if (i < line.Length && line[i] != ',')
                    {
                        throw FieldError(source, lineNumber, column, header, "unexpected text after a closing quote");
                    }

                    break;
                }
            }
            else
            {
                var comma = line.IndexOf(',', i);
                var end = comma < 0 ? line.Length : comma;
                fields.Add(new Field(i, end - i, null));
                i = end;
            }

            if (i >= line.Length)
            {
                return;
            }

            i++; // the comma
        }
    }

    private static BadInputException FieldError(string source, int line, int column, string[]? header, string message) =>
        header is not null && column < header.Length
            ? Error(source, line, column, header, message)
            : new BadInputException($"{source}:{line}:{column + 1}: {message}");

    /// <summary>A cell: a range of its line, or (for a quoted cell with escapes) its own text.</summary>
    private readonly record struct Field(int Start, int Length, string? Unescaped)
    {
        public ReadOnlySpan<char> Span(string line) => Unescaped is null ? line.AsSpan(Start, Length) : Unescaped;

        public string Text(string line) => Unescaped ?? line.Substring(Start, Length);
    }

    /// <summary>A growable float array that hands out one row at a time.</summary>
    private sealed class FloatBuffer(string source)
    {
        private float[] _values = new float[1024];
        private int _count;

        public Span<float> AppendRow(int columns)
        {
            if (_count + columns > _values.Length)
            {
                var capacity = (int)Math.Min(Array.MaxLength, Math.Max((long)_values.Length * 2, (long)_count + columns));
                if (capacity < _count + columns)
                {
                    throw new BadInputException($"{source}: too many values to hold in memory as float32");
                }

                Array.Resize(ref _values, capacity);
            }

            var row = _values.AsSpan(_count, columns);
            _count += columns;
            return row;
        }

        public float[] ToArray() => _values.Length == _count ? _values : _values.AsSpan(0, _count).ToArray();
    }
}

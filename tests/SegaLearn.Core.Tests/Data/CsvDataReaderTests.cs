using System.Globalization;
using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public sealed class CsvDataReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] AllValues(LabeledData data) => ((DenseFeatures)data.Features).Values.ToArray();

    private string ErrorOf(string csv, string? labelColumn = null, string name = "data.csv")
    {
        var path = _dir.WriteText(name, csv);
        return Assert.Throws<BadInputException>(() => CsvDataReader.Read(path, labelColumn)).Message;
    }

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    [Fact]
    public void CsvDataReader_should_read_features_and_take_the_last_column_as_label_by_default()
    {
        var path = _dir.WriteText("iris.csv", "a,b,label\n1.5,2,0\n-3,4e2,2\n0.25,.5,1\n");

        var data = CsvDataReader.Read(path, labelColumn: null);

        Assert.Equal("iris.csv", data.Name);
        Assert.Equal(3, data.Features.Rows);
        Assert.Equal(2, data.Features.Columns);
        Assert.Equal(new[] { 1.5f, 2f, -3f, 400f, 0.25f, 0.5f }, AllValues(data));
        Assert.Equal(new[] { 0, 2, 1 }, data.Labels);
        Assert.Equal(3, data.ClassCount);
        Assert.Null(data.ClassNames);
        Assert.Equal(new[] { "a", "b" }, data.FeatureNames);
    }

    [Fact]
    public void CsvDataReader_should_read_labels_as_numbers_for_regression_targets()
    {
        const string csv = "a,y,b\n1,2.5,2\n3,-0.125,4\n5,1e3,6\n7,2.5,8\n";
        var path = _dir.WriteText("reg.csv", csv);

        var mapped = CsvDataReader.Read(path, "y", TargetKind.Values);
        var streamed = CsvDataReader.Read(new StringReader(csv), "reg.csv", "y", targets: TargetKind.Values);

        foreach (var data in new[] { mapped, streamed })
        {
            Assert.True(data.IsRegression);
            Assert.Equal(new[] { 2.5f, -0.125f, 1000f, 2.5f }, data.Targets.Values);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f }, AllValues(data));
            Assert.Equal(0, data.ClassCount);
        }
    }

    [Theory]
    [InlineData("a,y\n1,2\n3,4.5x\n", "data.csv:3:2 (column 'y'): label '4.5x' is not a number")]
    [InlineData("a,y\n1,2\n3,4\n5,NaN\n", "data.csv:4:2 (column 'y'): NaN or infinite label")]
    public void CsvDataReader_should_name_file_line_and_column_of_a_regression_label_that_is_not_a_finite_number(string csv, string expected)
    {
        var path = _dir.WriteText("data.csv", csv);
        var error = Assert.Throws<BadInputException>(() => CsvDataReader.Read(path, null, TargetKind.Values));
        Assert.StartsWith(path.Replace("data.csv", string.Empty, StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvDataReader_should_find_the_label_column_by_name()
    {
        var path = _dir.WriteText("d.csv", "x,y,z\n1,5,2\n3,0,4\n");

        var data = CsvDataReader.Read(path, "y");

        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, AllValues(data));
        Assert.Equal(new[] { 5, 0 }, data.Labels);
        Assert.Equal(6, data.ClassCount);
        Assert.Equal(new[] { "x", "z" }, data.FeatureNames);
    }

    [Fact]
    public void CsvDataReader_should_find_the_label_column_by_zero_based_index()
    {
        var path = _dir.WriteText("d.csv", "x,y,z\n1,5,2\n3,0,4\n");

        var data = CsvDataReader.Read(path, "0");

        Assert.Equal(new[] { 5f, 2f, 0f, 4f }, AllValues(data));
        Assert.Equal(new[] { 1, 3 }, data.Labels);
        Assert.Equal(4, data.ClassCount);
        Assert.Equal(new[] { "y", "z" }, data.FeatureNames);
    }

    [Fact]
    public void CsvDataReader_should_map_string_labels_to_classes_in_sorted_order()
    {
        var path = _dir.WriteText("s.csv", "f,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n");

        var data = CsvDataReader.Read(path, "species");

        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, data.ClassNames);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal(new[] { 2, 0, 1, 0 }, data.Labels);
    }

    [Fact]
    public void CsvDataReader_should_treat_labels_as_strings_when_one_is_not_a_non_negative_integer()
    {
        var path = _dir.WriteText("m.csv", "f,l\n1,1\n2,-1\n3,0\n");

        var data = CsvDataReader.Read(path, null);

        Assert.Equal(new[] { "-1", "0", "1" }, data.ClassNames);
        Assert.Equal(new[] { 2, 0, 1 }, data.Labels);
    }

    [Fact]
    public void CsvDataReader_should_accept_CRLF_quoted_fields_and_a_trailing_empty_line()
    {
        var path = _dir.WriteText(
            "q.csv",
            "\"first, col\",\"say \"\"hi\"\"\",label\r\n\"1.5\",2,\"big, red\"\r\n3,\"4\",\"small\"\r\n\r\n");

        var data = CsvDataReader.Read(path, "label");

        Assert.Equal(new[] { "first, col", "say \"hi\"" }, data.FeatureNames);
        Assert.Equal(new[] { 1.5f, 2f, 3f, 4f }, AllValues(data));
        Assert.Equal(new[] { "big, red", "small" }, data.ClassNames);
        Assert.Equal(new[] { 0, 1 }, data.Labels);
    }

    /// <summary>
    /// A file of at least three parallel chunks (about 1 MB) with blank lines, padded cells, CRLF line ends and text or integer
    /// labels, and optionally one broken line in a later chunk: the chunked reader of files must give what the streaming
    /// reader gives for the same text, values and labels or the error message with its line and column.
    /// </summary>
    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "1.5,abc,2,x")]
    [InlineData(false, "1.5,2")]
    [InlineData(true, "1.5,2,3,  ")]
    [InlineData(false, "NaN,2,3,y")]
    [InlineData(false, "1,,3,y")]
    public void CsvDataReader_should_read_a_file_in_chunks_as_the_streaming_reader_reads_its_text(bool integerLabels, string? brokenLine)
    {
        var random = new Random(5);
        var text = new System.Text.StringBuilder("a, b ,c,label\r\n");
        for (var i = 0; i < 24_000; i++)
        {
            if (i == 17_234 && brokenLine is not null)
            {
                text.Append(brokenLine).Append("\r\n");
            }

            if (i % 997 == 0)
            {
                text.Append("  \r\n");
            }

            var label = integerLabels ? (i % 7).ToString(CultureInfo.InvariantCulture) : (i % 5 == 0 ? " cat " : i % 3 == 0 ? "dog" : "ant");
            text.Append(CultureInfo.InvariantCulture, $"{random.NextDouble() * 100 - 50:R}, {random.Next(-9, 9)} ,{random.NextDouble():E3},{label}\r\n");
        }

        var path = _dir.WriteText("chunks.csv", text.ToString());
        Assert.True(new FileInfo(path).Length > 3 * CsvDataReader.MinChunkBytes, "the file must make at least three chunks");
        using var streamed = new StreamReader(path);
        LabeledData? expected = null;
        string? expectedError = null;
        try
        {
            expected = CsvDataReader.Read(streamed, path, null, Path.GetFileName(path));
        }
        catch (BadInputException e)
        {
            expectedError = e.Message;
        }

        if (expectedError is not null)
        {
            Assert.Equal(expectedError, Assert.Throws<BadInputException>(() => CsvDataReader.Read(path, null)).Message);
            return;
        }

        var actual = CsvDataReader.Read(path, null);
        Assert.Equal(AllValues(expected!), AllValues(actual));
        Assert.Equal(expected!.Labels, actual.Labels);
        Assert.Equal(expected.ClassCount, actual.ClassCount);
        Assert.Equal(expected.ClassNames, actual.ClassNames);
        Assert.Equal(expected.FeatureNames, actual.FeatureNames);
        Assert.Equal(expected.Name, actual.Name);
    }

    [Fact]
    public void CsvDataReader_should_read_short_decimals_to_the_floats_float_parse_gives()
    {
        // Cells the chunked reader parses itself (at most 7-8 significant digits, powers of ten up to 10) and some it
        // leaves to float.Parse, against float.Parse of each cell's text.
        var random = new Random(8);
        var cells = new List<string>();
        for (var i = 0; i < 30_000; i++)
        {
            var magnitude = Math.Pow(10, random.Next(-4, 6)) * random.NextDouble() * (random.Next(2) == 0 ? -1 : 1);
            cells.Add(random.Next(6) switch
            {
                0 => magnitude.ToString("F" + random.Next(0, 8).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                1 => magnitude.ToString("E" + random.Next(0, 7).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                2 => random.Next(-20_000_000, 20_000_000).ToString(CultureInfo.InvariantCulture),
                3 => " " + magnitude.ToString("G6", CultureInfo.InvariantCulture) + "  ",
                4 => "+" + Math.Abs(magnitude).ToString("F3", CultureInfo.InvariantCulture) + "e" + random.Next(-12, 12).ToString(CultureInfo.InvariantCulture),
                _ => (random.Next(2) == 0 ? "-." : ".") + random.Next(0, 100_000).ToString(CultureInfo.InvariantCulture),
            });
        }

        var text = new System.Text.StringBuilder("x,label\n");
        foreach (var cell in cells)
        {
            text.Append(cell).Append(",1\n");
        }

        var values = AllValues(CsvDataReader.Read(_dir.WriteText("short.csv", text.ToString()), null));

        Assert.Equal(cells.Count, values.Length);
        for (var i = 0; i < cells.Count; i++)
        {
            var expected = float.Parse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(values[i]), $"'{cells[i]}': float.Parse {expected:R}, read {values[i]:R}");
        }
    }

    [Fact]
    public void CsvDataReader_should_stream_a_file_with_many_rows()
    {
        var text = new System.Text.StringBuilder("a,b,c\n");
        for (var i = 0; i < 5000; i++)
        {
            text.Append(i).Append(',').Append(i * 0.5).Append(',').Append(i % 3).Append('\n');
        }

        var data = CsvDataReader.Read(_dir.WriteText("big.csv", text.ToString()), null);

        Assert.Equal(5000, data.Rows);
        var row = new float[2];
        data.Features.GatherRows([4999], row);
        Assert.Equal(new[] { 4999f, 2499.5f }, row);
        Assert.Equal(4999 % 3, data.Labels[4999]);
    }

    [Fact]
    public void CsvDataReader_should_name_line_and_column_when_a_cell_is_not_numeric()
    {
        var csv = "a,b,petal,label\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,abc,0\n";

        Assert.Equal($"{PathOf("data.csv")}:7:3 (column 'petal'): 'abc' is not a number", ErrorOf(csv));
    }

    [Fact]
    public void CsvDataReader_should_name_line_and_column_when_a_cell_is_empty()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}:3:1 (column 'a'): empty cell, expected a number",
            ErrorOf("a,b,label\n1,2,0\n,2,0\n"));
    }

    [Fact]
    public void CsvDataReader_should_name_the_line_of_a_ragged_row()
    {
        var csv = "a,b,c,d,label\n" + string.Concat(Enumerable.Repeat("1,2,3,4,0\n", 7)) + "1,2,3,0\n";

        Assert.Equal($"{PathOf("data.csv")}:9: row has 4 values, header has 5", ErrorOf(csv));
    }

    [Fact]
    public void CsvDataReader_should_reject_a_row_with_too_many_values()
    {
        Assert.Equal($"{PathOf("data.csv")}:3: row has 4 values, header has 3", ErrorOf("a,b,label\n1,2,0\n1,2,3,0\n"));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e39")]
    public void CsvDataReader_should_reject_NaN_and_infinite_values_with_line_and_column(string cell)
    {
        var csv = $"w,x,label\n1,2,0\n1,2,0\n1,2,0\n1,{cell},0\n";

        Assert.Equal($"{PathOf("data.csv")}:5:2 (column 'x'): NaN or infinite value", ErrorOf(csv));
    }

    [Fact]
    public void CsvDataReader_should_list_the_columns_when_the_label_column_is_not_found()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}: label column 'foo' not found (columns: a, b, c)",
            ErrorOf("a,b,c\n1,2,0\n", "foo"));
    }

    [Fact]
    public void CsvDataReader_should_reject_a_label_column_index_past_the_last_column()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}: label column index 3 is outside 0..2 (columns: a, b, c)",
            ErrorOf("a,b,c\n1,2,0\n", "3"));
    }

    [Fact]
    public void CsvDataReader_should_reject_a_file_with_only_a_header()
    {
        Assert.Equal($"{PathOf("data.csv")}: no data rows", ErrorOf("a,b,c\n\n"));
    }

    [Fact]
    public void CsvDataReader_should_reject_an_empty_file()
    {
        Assert.StartsWith($"{PathOf("data.csv")}: empty file", ErrorOf(string.Empty));
    }

    [Fact]
    public void CsvDataReader_should_report_a_missing_file()
    {
        var path = PathOf("missing.csv");

        var error = Assert.Throws<BadInputException>(() => CsvDataReader.Read(path, null));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Fact]
    public void CsvDataReader_should_name_line_and_column_of_an_empty_label()
    {
        Assert.Equal($"{PathOf("data.csv")}:3:3 (column 'label'): empty label", ErrorOf("a,b,label\n1,2,0\n1,2,\n"));
    }

    [Fact]
    public void CsvDataReader_should_name_line_and_column_of_an_unterminated_quote()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}:2:2 (column 'b'): unterminated quoted field",
            ErrorOf("a,b,label\n1,\"2,0\n"));
    }

    [Fact]
    public void CsvDataReader_should_reject_an_integer_label_too_large_for_a_class_index()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}:3:2 (column 'label'): label 70000 is too large for a class index (largest allowed 65535)",
            ErrorOf("a,label\n1,0\n2,70000\n"));
    }

    [Fact]
    public void CsvDataReader_errors_should_be_one_line()
    {
        var messages = new[]
        {
            ErrorOf("a,b,label\n1,x,0\n"),
            ErrorOf("a,b,label\n1,2\n"),
            ErrorOf("a,b\n1,2\n", "nope"),
        };

        Assert.All(messages, m => Assert.DoesNotContain('\n', m));
    }

    [Fact]
    public void CsvDataReader_should_report_a_directory_given_as_the_file()
    {
        var error = Assert.Throws<BadInputException>(() => CsvDataReader.Read(_dir.Path, null));

        Assert.Equal($"{_dir.Path}: is a directory, not a CSV file", error.Message);
    }

    [Fact]
    public void CsvDataReader_should_find_the_label_column_by_name_when_it_is_the_first_column()
    {
        var data = CsvDataReader.Read(_dir.WriteText("first.csv", "label,a,b\n1,2.5,3\n0,4,5\n"), "label");

        Assert.Equal(new[] { 1, 0 }, data.Labels);
        Assert.Equal(new[] { 2.5f, 3f, 4f, 5f }, AllValues(data));
        Assert.Equal(new[] { "a", "b" }, data.FeatureNames);
    }

    [Fact]
    public void CsvDataReader_should_refuse_an_integer_label_whose_low_32_bits_look_small()
    {
        // 2^40 + 1 truncated to 32 bits is 1: the check must compare the whole value, not the class index cast from it.
        Assert.Equal(
            $"{PathOf("data.csv")}:3:2 (column 'label'): label 1099511627777 is too large for a class index (largest allowed 65535)",
            ErrorOf("a,label\n1,0\n2,1099511627777\n"));
    }

    [Fact]
    public void CsvDataReader_should_refuse_a_header_with_only_one_column()
    {
        Assert.Equal(
            $"{PathOf("data.csv")}:1: the header has 1 column, needs a label column and at least one feature column",
            ErrorOf("label\n1\n"));
    }

    [Fact]
    public void CsvDataReader_should_allow_spaces_after_a_closing_quote()
    {
        var data = CsvDataReader.Read(new StringReader("a,b,label\n\"1.5\"  ,\"2\" ,x\n"), "q.csv");

        Assert.Equal(new[] { 1.5f, 2f }, AllValues(data));
        Assert.Equal(new[] { "x" }, data.ClassNames);
    }

    [Theory]
    [InlineData("a,b,label\n1,\"2\"x,0\n", ":2:2 (column 'b'): unexpected text after a closing quote")]
    [InlineData("a,b,label\n1,2,0,\"3\"x\n", ":2:4: unexpected text after a closing quote")]
    [InlineData("a,b,label\n1,2,0,\"3\n", ":2:4: unterminated quoted field")]
    [InlineData("\"a\"x,b,label\n1,2,0\n", ":1:1: unexpected text after a closing quote")]
    public void CsvDataReader_should_name_line_and_column_of_text_after_a_closing_quote_and_leave_out_a_name_past_the_header(string csv, string expected)
    {
        Assert.Equal(PathOf("data.csv") + expected, ErrorOf(csv));
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3\n-4,5.5,6\n")]
    [InlineData("a,b,c\r\n1,2,3\r\n-4,5.5,6\r\n")]
    [InlineData("a,\"b\",c\n1,2,3\n-4,5.5,6\n")]
    public void ReadUnlabeled_should_take_every_column_as_a_feature_from_a_file_or_a_reader(string csv)
    {
        var fromFile = CsvDataReader.ReadUnlabeled(_dir.WriteText("new.csv", csv));
        var fromReader = CsvDataReader.ReadUnlabeled(new StringReader(csv), "new.csv");

        foreach (var features in new[] { fromFile, fromReader })
        {
            Assert.Equal(2, features.Rows);
            Assert.Equal(3, features.Columns);
            Assert.Equal(new[] { 1f, 2f, 3f, -4f, 5.5f, 6f }, features.Values.ToArray());
        }
    }

    [Theory]
    [InlineData("a,b,c\n")]
    [InlineData("a,\"b\",c\n\n")]
    public void ReadUnlabeled_should_reject_a_file_with_only_a_header(string csv)
    {
        var path = _dir.WriteText("new.csv", csv);

        Assert.Equal($"{path}: no data rows", Assert.Throws<BadInputException>(() => CsvDataReader.ReadUnlabeled(path)).Message);
    }

    [Fact]
    public void ReadUnlabeled_should_name_line_and_column_of_a_cell_that_is_not_numeric()
    {
        var path = _dir.WriteText("new.csv", "a,b\n1,2\n3,x\n");

        Assert.StartsWith($"{path}:3:2 (column 'b'): ", Assert.Throws<BadInputException>(() => CsvDataReader.ReadUnlabeled(path)).Message);
    }

    [Fact]
    public void CsvDataReader_should_read_a_UTF16_file_by_its_byte_order_mark()
    {
        var path = Path.Combine(_dir.Path, "utf16.csv");
        File.WriteAllText(path, "a,b,label\n1.5,2,x\n", System.Text.Encoding.Unicode);

        var data = CsvDataReader.Read(path, null);

        Assert.Equal(new[] { 1.5f, 2f }, AllValues(data));
        Assert.Equal(new[] { "a", "b" }, data.FeatureNames);
    }
}

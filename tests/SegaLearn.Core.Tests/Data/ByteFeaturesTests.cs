using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public class ByteFeaturesTests
{
    private static readonly byte[] Bytes = [0, 1, 2, 127, 128, 200, 254, 255, 17, 34, 51, 68];

    [Fact]
    public void ByteFeatures_gather_should_equal_bytes_times_scale()
    {
        var scale = 1f / 255f;
        var features = new ByteFeatures(Bytes, rows: 3, columns: 4, scale);
        var gathered = new float[8];

        features.GatherRows([2, 0], gathered);

        var expected = new float[8];
        for (var c = 0; c < 4; c++)
        {
            expected[c] = Bytes[8 + c] * scale;
            expected[4 + c] = Bytes[c] * scale;
        }

        Assert.Equal(expected, gathered);
        Assert.Equal(1f, features.Scale * 255f, 6);
    }

    [Fact]
    public void ByteFeatures_copy_rows_should_scale_a_contiguous_block()
    {
        var features = new ByteFeatures(Bytes, rows: 3, columns: 4, scale: 0.5f);
        var copied = new float[8];

        features.CopyRows(1, 2, copied);

        Assert.Equal(new[] { 64f, 100f, 127f, 127.5f, 8.5f, 17f, 25.5f, 34f }, copied);
    }

    [Fact]
    public void ByteFeatures_select_rows_should_keep_bytes_and_scale()
    {
        var features = new ByteFeatures(Bytes, rows: 3, columns: 4, scale: 2f);

        var selected = (ByteFeatures)features.SelectRows([1, 1, 0]);

        Assert.Equal(3, selected.Rows);
        Assert.Equal(4, selected.Columns);
        Assert.Equal(2f, selected.Scale);
        Assert.Equal(new byte[] { 128, 200, 254, 255, 128, 200, 254, 255, 0, 1, 2, 127 }, selected.Values.ToArray());
    }

    [Fact]
    public void ByteFeatures_should_reject_a_row_out_of_range()
    {
        var features = new ByteFeatures(Bytes, rows: 3, columns: 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => features.GatherRows([3], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => features.SelectRows([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => features.PrefetchRows([0, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DenseFeatures(new float[12], 3, 4).PrefetchRows([-1]));
    }

    [Fact]
    public void ByteFeatures_should_reject_values_that_do_not_make_the_matrix()
    {
        Assert.Throws<ArgumentException>(() => new ByteFeatures(Bytes, rows: 5, columns: 4));
    }
}

using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public class LabeledDataTests
{
    [Fact]
    public void LabeledData_should_name_the_data_set_and_first_row_with_a_label_out_of_range()
    {
        var features = new DenseFeatures(new float[4], 4, 1);

        var error = Assert.Throws<BadInputException>(() => new LabeledData(features, [0, 1, 3, 5], 3, "pets"));

        Assert.Equal("pets: row 2 (0-based) has label 3, outside 0..2", error.Message);
    }

    [Fact]
    public void LabeledData_should_reject_a_negative_label()
    {
        var features = new DenseFeatures(new float[2], 2, 1);

        var error = Assert.Throws<BadInputException>(() => new LabeledData(features, [0, -1], 2, "pets"));

        Assert.Equal("pets: row 1 (0-based) has label -1, outside 0..1", error.Message);
    }

    [Fact]
    public void LabeledData_should_reject_a_label_count_that_differs_from_the_rows()
    {
        var features = new DenseFeatures(new float[3], 3, 1);

        var error = Assert.Throws<BadInputException>(() => new LabeledData(features, [0, 1], 2, "pets"));

        Assert.Equal("pets: 2 labels for 3 rows", error.Message);
    }

    [Fact]
    public void LabeledData_select_rows_should_keep_labels_with_their_rows()
    {
        var data = new LabeledData(new DenseFeatures([10, 11, 12], 3, 1), [2, 0, 1], 3, "x", ["a", "b", "c"]);

        var selected = data.SelectRows([2, 0]);

        Assert.Equal(new[] { 12f, 10f }, ((DenseFeatures)selected.Features).Values.ToArray());
        Assert.Equal(new[] { 1, 2 }, selected.Labels);
        Assert.Equal(data.ClassNames, selected.ClassNames);
    }
}

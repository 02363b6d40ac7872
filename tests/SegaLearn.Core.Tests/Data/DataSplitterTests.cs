using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public class DataSplitterTests
{
    /// <summary>A data set whose only feature is the row's own index, and whose label is index % 3.</summary>
    private static LabeledData Indexed(int rows)
    {
        var values = new float[rows];
        var labels = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            values[i] = i;
            labels[i] = i % 3;
        }

        return new LabeledData(new DenseFeatures(values, rows, 1), labels, 3, "indexed");
    }

    private static int[] RowIds(LabeledData data) =>
        ((DenseFeatures)data.Features).Values.ToArray().Select(v => (int)v).ToArray();

    [Fact]
    public void DataSplitter_should_give_round_n_times_fraction_test_rows_and_the_rest_to_train()
    {
        var split = DataSplitter.TrainTest(BuiltInDatasets.Digits(), 0.2, seed: 42);

        Assert.Equal(359, split.Test.Rows); // round(1797 * 0.2 = 359.4)
        Assert.Equal(1438, split.Train.Rows);
        Assert.Equal(64, split.Train.Features.Columns);
        Assert.Equal(10, split.Test.ClassCount);
    }

    [Fact]
    public void DataSplitter_parts_should_be_disjoint_and_cover_every_row_with_its_label()
    {
        var split = DataSplitter.TrainTest(Indexed(100), 0.25, seed: 3);

        var train = RowIds(split.Train);
        var test = RowIds(split.Test);
        Assert.Equal(75, train.Length);
        Assert.Equal(25, test.Length);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(Enumerable.Range(0, 100), train.Concat(test).Order());
        Assert.Equal(train.Select(i => i % 3), split.Train.Labels);
        Assert.Equal(test.Select(i => i % 3), split.Test.Labels);
    }

    [Fact]
    public void DataSplitter_should_follow_the_seeded_permutation()
    {
        var split = DataSplitter.TrainTest(Indexed(10), 0.3, seed: 9);

        var order = new int[10];
        new DeterministicRandom(9, DataSplitter.SplitStream).Permutation(order);
        Assert.Equal(order[..3], RowIds(split.Test));
        Assert.Equal(order[3..], RowIds(split.Train));
    }

    [Fact]
    public void TrainValidation_should_hold_out_its_own_seeded_permutation_of_the_training_part()
    {
        var data = Indexed(40);

        var split = DataSplitter.TrainValidation(data, 0.25, seed: 9);

        var order = new int[40];
        new DeterministicRandom(9, DataSplitter.ValidationStream).Permutation(order);
        Assert.Equal(order[..10], RowIds(split.Test));
        Assert.Equal(order[10..], RowIds(split.Train));
        Assert.NotEqual(RowIds(DataSplitter.TrainTest(data, 0.25, seed: 9).Test), RowIds(split.Test));
    }

    [Fact]
    public void PreparedData_should_fit_the_preprocessing_on_the_rows_trained_on_when_validation_is_held_out()
    {
        var prepared = PreparedData.Load("digits", null, 42, 0.2, validationFraction: 0.1);

        Assert.Equal(1294, prepared.Train.Rows); // 1438 training rows, round(143.8) = 144 held out
        Assert.Equal(144, prepared.Validation!.Rows);
        Assert.Equal(359, prepared.Test.Rows);
        var column = new float[prepared.Train.Rows];
        for (var j = 0; j < 64; j++)
        {
            // Standardized with statistics of exactly those rows (not of the validation rows too): every column has mean 0.
            for (var i = 0; i < column.Length; i++)
            {
                column[i] = ((DenseFeatures)prepared.Train.Features).Values[i * 64 + j];
            }

            Assert.Equal(0, column.Select(v => (double)v).Average(), 5);
        }

        Assert.Null(PreparedData.Load("digits", null, 42, 0.2).Validation);
    }

    [Fact]
    public void DataSplitter_should_repeat_for_the_same_seed_and_differ_for_another()
    {
        var data = Indexed(200);

        var a = DataSplitter.TrainTest(data, 0.2, seed: 1);
        var b = DataSplitter.TrainTest(data, 0.2, seed: 1);
        var c = DataSplitter.TrainTest(data, 0.2, seed: 2);

        Assert.Equal(RowIds(a.Test), RowIds(b.Test));
        Assert.Equal(RowIds(a.Train), RowIds(b.Train));
        Assert.NotEqual(RowIds(a.Test), RowIds(c.Test));
        Assert.NotEqual(Enumerable.Range(0, 40), RowIds(a.Test)); // shuffled, not the first rows
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void DataSplitter_should_reject_a_test_fraction_outside_0_1(double fraction)
    {
        var error = Assert.Throws<BadInputException>(() => DataSplitter.TrainTest(Indexed(10), fraction, 1));

        Assert.StartsWith("indexed: test fraction", error.Message);
        Assert.EndsWith("must be between 0 and 1 (exclusive)", error.Message);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.99)]
    public void DataSplitter_should_reject_a_fraction_that_leaves_a_part_empty(double fraction)
    {
        var error = Assert.Throws<BadInputException>(() => DataSplitter.TrainTest(Indexed(10), fraction, 1));

        Assert.Contains("both need at least one", error.Message);
    }

    [Fact]
    public void TrainValidation_should_name_the_validation_part_in_its_errors()
    {
        Assert.Equal(
            "indexed: validation fraction 1.5 must be between 0 and 1 (exclusive)",
            Assert.Throws<BadInputException>(() => DataSplitter.TrainValidation(Indexed(10), 1.5, 1)).Message);
        Assert.Equal(
            "indexed: validation fraction 0.01 of 10 rows leaves 0 validation and 10 training rows; both need at least one",
            Assert.Throws<BadInputException>(() => DataSplitter.TrainValidation(Indexed(10), 0.01, 1)).Message);
    }
}

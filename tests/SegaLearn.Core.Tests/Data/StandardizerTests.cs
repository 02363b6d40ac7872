using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public class StandardizerTests
{
    // Columns: [1,2,3,4] (mean 2.5, population std sqrt(1.25)), [10,10,10,10] (constant), [0,0,4,4] (mean 2, std 2).
    private static readonly float[,] Matrix =
    {
        { 1, 10, 0 },
        { 2, 10, 0 },
        { 3, 10, 4 },
        { 4, 10, 4 },
    };

    [Fact]
    public void Standardizer_fit_should_compute_mean_and_population_std_per_column()
    {
        var standardizer = Standardizer.Fit(Matrix);

        Assert.Equal(new[] { 2.5f, 10f, 2f }, standardizer.Mean);
        Assert.Equal(MathF.Sqrt(1.25f), standardizer.Std[0], 6);
        Assert.Equal(1f, standardizer.Std[1]);
        Assert.Equal(2f, standardizer.Std[2]);
    }

    [Fact]
    public void Standardizer_transform_should_give_the_hand_computed_values()
    {
        var transformed = Standardizer.Fit(Matrix).Transform(Matrix);

        var a = 1.5 / Math.Sqrt(1.25); // 1.3416407865
        double[] expected =
        [
            -a, 0, -1,
            -0.5 / Math.Sqrt(1.25), 0, -1,
            0.5 / Math.Sqrt(1.25), 0, 1,
            a, 0, 1,
        ];
        var actual = transformed.Values.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 6);
        }
    }

    [Fact]
    public void Standardizer_transform_should_give_mean_0_and_std_1_per_varying_column_and_0_for_a_constant_column()
    {
        var cancer = BuiltInDatasets.BreastCancer().Features;

        var transformed = Standardizer.Fit(cancer).Transform(cancer);

        var values = transformed.Values;
        for (var c = 0; c < transformed.Columns; c++)
        {
            double sum = 0, squares = 0;
            for (var r = 0; r < transformed.Rows; r++)
            {
                sum += values[r * transformed.Columns + c];
            }

            var mean = sum / transformed.Rows;
            for (var r = 0; r < transformed.Rows; r++)
            {
                var d = values[r * transformed.Columns + c] - mean;
                squares += d * d;
            }

            Assert.Equal(0, mean, 5);
            Assert.Equal(1, Math.Sqrt(squares / transformed.Rows), 4);
        }

        var constant = Standardizer.Fit(Matrix).Transform(Matrix);
        for (var r = 0; r < 4; r++)
        {
            Assert.Equal(0f, constant.Row(r)[1]);
        }
    }

    [Fact]
    public void Standardizer_rebuilt_from_mean_and_std_should_transform_like_the_fitted_one()
    {
        var fitted = Standardizer.Fit(Matrix);

        var rebuilt = new Standardizer(fitted.Mean.ToArray(), fitted.Std.ToArray());

        Assert.Equal(fitted.Transform(Matrix).Values.ToArray(), rebuilt.Transform(Matrix).Values.ToArray());
    }

    [Fact]
    public void Standardizer_should_work_on_byte_features()
    {
        var bytes = new ByteFeatures([0, 255, 255, 255], rows: 2, columns: 2, scale: 1f / 255f);

        var standardizer = Standardizer.Fit(bytes);

        Assert.Equal(0.5f, standardizer.Mean[0], 6);
        Assert.Equal(0.5f, standardizer.Std[0], 6);
        Assert.Equal(1f, standardizer.Std[1]);
        Assert.Equal(new[] { -1f, 0f, 1f, 0f }, standardizer.Transform(bytes).Values.ToArray());
    }

    [Fact]
    public void Standardizer_should_reject_data_with_another_column_count()
    {
        var standardizer = Standardizer.Fit(Matrix);

        var error = Assert.Throws<BadInputException>(() => standardizer.Transform(new float[,] { { 1, 2 } }));

        Assert.Equal("standardizer: the data has 2 columns, the standardizer was fitted on 3", error.Message);
    }

    [Fact]
    public void Standardizer_should_reject_a_non_positive_std_or_mismatched_lengths()
    {
        Assert.Throws<BadInputException>(() => new Standardizer([0f, 0f], [1f, 0f]));
        Assert.Throws<BadInputException>(() => new Standardizer([0f, 0f], [1f]));
        Assert.Throws<BadInputException>(() => new Standardizer([float.NaN], [1f]));
    }

    [Fact]
    public void Standardizer_fit_should_reject_no_rows()
    {
        Assert.Throws<BadInputException>(() => Standardizer.Fit(new DenseFeatures([], 0, 3)));
    }

    [Fact]
    public void Standardizer_should_refuse_to_fit_on_no_rows()
    {
        var error = Assert.Throws<BadInputException>(() => Standardizer.Fit(new DenseFeatures([], 0, 3)));

        Assert.Equal("standardizer: cannot fit on a data set with no rows", error.Message);
    }
}

using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public class BuiltInDatasetsTests
{
    [Fact]
    public void Digits_should_have_1797_rows_of_64_pixels_and_the_known_first_and_last_rows()
    {
        var digits = BuiltInDatasets.Digits();

        Assert.Equal("digits", digits.Name);
        Assert.Equal(1797, digits.Features.Rows);
        Assert.Equal(64, digits.Features.Columns);
        Assert.Equal(10, digits.ClassCount);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], digits.ClassNames);
        Assert.Equal(64, digits.FeatureNames!.Count);

        // First and last lines of scikit-learn's digits.csv.gz.
        float[] first =
        [
            0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
            0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
        ];
        float[] last =
        [
            0, 0, 10, 14, 8, 1, 0, 0, 0, 2, 16, 14, 6, 1, 0, 0, 0, 0, 15, 15, 8, 15, 0, 0, 0, 0, 5, 16, 16, 10, 0, 0,
            0, 0, 12, 15, 15, 12, 0, 0, 0, 4, 16, 6, 4, 16, 6, 0, 0, 8, 16, 10, 8, 16, 8, 0, 0, 1, 8, 12, 14, 12, 1, 0,
        ];
        var rows = new float[2 * 64];
        digits.Features.GatherRows([0, 1796], rows);
        Assert.Equal(first, rows[..64]);
        Assert.Equal(last, rows[64..]);
        Assert.Equal(0, digits.Labels[0]);
        Assert.Equal(8, digits.Labels[1796]);
    }

    [Fact]
    public void Digits_should_have_the_UCI_test_set_class_counts()
    {
        var digits = BuiltInDatasets.Digits();

        // UCI optdigits.tes class distribution.
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], digits.ClassCounts());
    }

    [Fact]
    public void Digits_pixels_should_all_be_integers_from_0_to_16()
    {
        var digits = (DenseFeatures)BuiltInDatasets.Digits().Features;

        foreach (var value in digits.Values)
        {
            Assert.InRange(value, 0f, 16f);
            Assert.Equal(MathF.Round(value), value);
        }
    }

    [Fact]
    public void BreastCancer_should_have_569_rows_of_30_features_with_212_malignant_and_357_benign()
    {
        var data = BuiltInDatasets.BreastCancer();

        Assert.Equal("breast-cancer", data.Name);
        Assert.Equal(569, data.Features.Rows);
        Assert.Equal(30, data.Features.Columns);
        Assert.Equal(2, data.ClassCount);
        Assert.Equal(["malignant", "benign"], data.ClassNames);
        Assert.Equal([212, 357], data.ClassCounts());
        Assert.Equal("mean radius", data.FeatureNames![0]);
        Assert.Equal("radius error", data.FeatureNames[10]);
        Assert.Equal("worst fractal dimension", data.FeatureNames[29]);
    }

    [Fact]
    public void BreastCancer_should_have_the_known_first_and_last_rows()
    {
        var data = BuiltInDatasets.BreastCancer();
        var row = new float[30];

        data.Features.GatherRows([0], row);
        Assert.Equal(17.99f, row[0]);
        Assert.Equal(10.38f, row[1]);
        Assert.Equal(1001f, row[3]);
        Assert.Equal(0.1189f, row[29]);
        Assert.Equal(0, data.Labels[0]);

        data.Features.GatherRows([568], row);
        Assert.Equal(7.76f, row[0]);
        Assert.Equal(0.07039f, row[29]);
        Assert.Equal(1, data.Labels[568]);
    }

    [Fact]
    public void Synthetic_should_be_uniform_features_in_0_1_and_binary_labels_of_the_requested_shape()
    {
        var data = BuiltInDatasets.Synthetic(seed: 7, rows: 200, columns: 3);

        Assert.Equal(200, data.Features.Rows);
        Assert.Equal(3, data.Features.Columns);
        Assert.Equal(2, data.ClassCount);
        var values = ((DenseFeatures)data.Features).Values.ToArray();
        Assert.All(values, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(values.Average(), 0.4, 0.6);
        var counts = data.ClassCounts();
        Assert.InRange(counts[0], 60, 140);
        Assert.Equal(200, counts[0] + counts[1]);
    }

    [Fact]
    public void Synthetic_should_default_to_the_seed_examples_100_by_10()
    {
        var data = BuiltInDatasets.Synthetic(seed: 1);

        Assert.Equal(100, data.Features.Rows);
        Assert.Equal(10, data.Features.Columns);
    }

    [Fact]
    public void Synthetic_should_repeat_for_the_same_seed_and_differ_for_another()
    {
        var a = BuiltInDatasets.Synthetic(42);
        var b = BuiltInDatasets.Synthetic(42);
        var c = BuiltInDatasets.Synthetic(43);

        Assert.Equal(((DenseFeatures)a.Features).Values.ToArray(), ((DenseFeatures)b.Features).Values.ToArray());
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(((DenseFeatures)a.Features).Values.ToArray(), ((DenseFeatures)c.Features).Values.ToArray());
        Assert.NotEqual(a.Labels, c.Labels);
    }

    [Fact]
    public void Synthetic_should_draw_features_then_labels_from_DeterministicRandom_of_the_seed()
    {
        var data = BuiltInDatasets.Synthetic(seed: 5, rows: 4, columns: 2);
        var random = new DeterministicRandom(5);
        var expected = new float[8];
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = random.NextFloat();
        }

        var labels = new int[4];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = random.NextInt(2);
        }

        Assert.Equal(expected, ((DenseFeatures)data.Features).Values.ToArray());
        Assert.Equal(labels, data.Labels);
    }
}

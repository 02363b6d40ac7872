using System.Globalization;
using System.IO.Compression;

namespace SegaLearn.Data;

/// <summary>
/// Data sets that need no download: <c>digits</c> and <c>breast-cancer</c> (scikit-learn's copies of the UCI sets,
/// embedded as gzip resources; see Data/Resources/LICENSE.md) and <c>synthetic</c> (the seed module's example).
/// </summary>
public static class BuiltInDatasets
{
    public const string DigitsName = "digits";
    public const string BreastCancerName = "breast-cancer";
    public const string SyntheticName = "synthetic";

    private const string ResourcePrefix = "SegaLearn.Data.Resources.";

    private static readonly string[] DigitClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static readonly string[] BreastCancerFeatureNames =
    [
        "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
        "mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension",
        "radius error", "texture error", "perimeter error", "area error", "smoothness error",
        "compactness error", "concavity error", "concave points error", "symmetry error", "fractal dimension error",
        "worst radius", "worst texture", "worst perimeter", "worst area", "worst smoothness",
        "worst compactness", "worst concavity", "worst concave points", "worst symmetry", "worst fractal dimension",
    ];

    /// <summary>
    /// UCI optical handwritten digits (test set): 1797 images of 8x8 pixels valued 0..16 (kept unscaled),
    /// 10 classes "0".."9". Feature names are "pixel_R_C" as in scikit-learn.
    /// </summary>
    public static LabeledData Digits()
    {
        const int rows = 1797, columns = 64;
        var (values, labels) = ReadResource("digits.csv.gz", rows, columns, skipFirstLine: false);
        var featureNames = new string[columns];
        for (var i = 0; i < columns; i++)
        {
            featureNames[i] = string.Create(CultureInfo.InvariantCulture, $"pixel_{i / 8}_{i % 8}");
        }

        return new LabeledData(
            new DenseFeatures(values, rows, columns), labels, 10, DigitsName, DigitClassNames, featureNames);
    }

    /// <summary>
    /// UCI Breast Cancer Wisconsin (Diagnostic): 569 rows of 30 real features; class 0 "malignant", 1 "benign".
    /// </summary>
    public static LabeledData BreastCancer()
    {
        const int rows = 569, columns = 30;
        var (values, labels) = ReadResource("breast_cancer.csv.gz", rows, columns, skipFirstLine: true);
        return new LabeledData(
            new DenseFeatures(values, rows, columns),
            labels,
            2,
            BreastCancerName,
            ["malignant", "benign"],
            BreastCancerFeatureNames);
    }

    /// <summary>
    /// The seed module's example data: X uniform in [0, 1) (rows x columns, filled row by row), then y uniform
    /// in {0, 1}, all from <c>new DeterministicRandom(seed)</c>. The same seed always gives the same data.
    /// </summary>
    public static LabeledData Synthetic(ulong seed, int rows = 100, int columns = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        var random = new DeterministicRandom(seed);
        var values = new float[checked(rows * columns)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextFloat();
        }

        var labels = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            labels[i] = random.NextInt(2);
        }

        return new LabeledData(new DenseFeatures(values, rows, columns), labels, 2, SyntheticName, ["0", "1"]);
    }

    /// <summary>Reads an embedded CSV (no quoting): each row is <paramref name="columns"/> numbers then the label.</summary>
    private static (float[] Values, int[] Labels) ReadResource(string name, int rows, int columns, bool skipFirstLine)
    {
        using var stream = typeof(BuiltInDatasets).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"embedded resource {ResourcePrefix + name} is missing from SegaLearn.Core");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        if (skipFirstLine)
        {
            reader.ReadLine();
        }

        var values = new float[rows * columns];
        var labels = new int[rows];
        var row = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (row == rows)
            {
                throw new InvalidOperationException($"embedded resource {name} has more than {rows} rows");
            }

            var span = line.AsSpan();
            var column = 0;
            foreach (var range in span.Split(','))
            {
                var cell = span[range];
                if (column < columns)
                {
                    values[row * columns + column] = float.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture);
                }
                else if (column == columns)
                {
                    labels[row] = (int)double.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture);
                }

                column++;
            }

            if (column != columns + 1)
            {
                throw new InvalidOperationException($"embedded resource {name} row {row} has {column} values");
            }

            row++;
        }

        if (row != rows)
        {
            throw new InvalidOperationException($"embedded resource {name} has {row} rows, expected {rows}");
        }

        return (values, labels);
    }
}

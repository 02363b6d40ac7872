namespace SegaLearn.Data;

/// <summary>
/// Per-column standardization <c>(x - mean) / std</c>. <see cref="Fit"/> computes the means and population standard
/// deviations in double precision; a constant column gets std 1, so it maps to 0 instead of dividing by zero.
/// The fitted values are what a model file stores, and the constructor rebuilds the same transform from them.
/// </summary>
public sealed class Standardizer
{
    private const int BatchRows = 256;

    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>A standardizer with given per-column means and standard deviations (e.g. read from a model file).</summary>
    /// <exception cref="BadInputException">The lengths differ, a value is not finite, or a std is not positive.</exception>
    public Standardizer(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != std.Count)
        {
            throw new BadInputException($"standardizer: {mean.Count} means but {std.Count} standard deviations");
        }

        _mean = [.. mean];
        _std = [.. std];
        for (var c = 0; c < _mean.Length; c++)
        {
            if (!float.IsFinite(_mean[c]))
            {
                throw new BadInputException($"standardizer: mean of column {c} is not a finite number ({_mean[c]})");
            }

            if (!float.IsFinite(_std[c]) || _std[c] <= 0)
            {
                throw new BadInputException(
                    $"standardizer: standard deviation of column {c} must be a positive finite number, not {_std[c]}");
            }
        }
    }

    /// <summary>The mean of each column.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The standard deviation of each column (1 for a constant column).</summary>
    public IReadOnlyList<float> Std => _std;

    public int Columns => _mean.Length;

    /// <summary>Computes the per-column mean and population standard deviation of <paramref name="features"/>.</summary>
    /// <exception cref="BadInputException">The matrix has no rows.</exception>
    public static Standardizer Fit(Features features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rows == 0)
        {
            throw new BadInputException("standardizer: cannot fit on a data set with no rows");
        }

        int rows = features.Rows, columns = features.Columns;
        var sum = new double[columns];
        ForEachRow(features, row =>
        {
            for (var c = 0; c < columns; c++)
            {
                sum[c] += row[c];
            }
        });

        var mean = new double[columns];
        for (var c = 0; c < columns; c++)
        {
            mean[c] = sum[c] / rows;
        }

        var squares = new double[columns];
        ForEachRow(features, row =>
        {
            for (var c = 0; c < columns; c++)
            {
                var d = row[c] - mean[c];
                squares[c] += d * d;
            }
        });

        var meanF = new float[columns];
        var stdF = new float[columns];
        for (var c = 0; c < columns; c++)
        {
            meanF[c] = (float)mean[c];
            var std = (float)Math.Sqrt(squares[c] / rows);
            stdF[c] = std > 0 && float.IsFinite(std) ? std : 1f;
        }

        return new Standardizer(meanF, stdF);
    }

    /// <summary>A new dense matrix with every value standardized: <c>(x - mean) / std</c>, computed in double.</summary>
    /// <exception cref="BadInputException">The matrix has a different number of columns.</exception>
    public DenseFeatures Transform(Features features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != Columns)
        {
            throw new BadInputException(
                $"standardizer: the data has {features.Columns} columns, the standardizer was fitted on {Columns}");
        }

        var columns = Columns;
        var result = new float[(long)features.Rows * columns];
        for (var start = 0; start < features.Rows; start += BatchRows)
        {
            var count = Math.Min(BatchRows, features.Rows - start);
            var block = result.AsSpan(start * columns, count * columns);
            features.CopyRows(start, count, block);
            for (var i = 0; i < block.Length; i++)
            {
                var c = i % columns;
                block[i] = (float)((block[i] - (double)_mean[c]) / _std[c]);
            }
        }

        return new DenseFeatures(result, features.Rows, columns);
    }

    private delegate void RowAction(ReadOnlySpan<float> row);

    private static void ForEachRow(Features features, RowAction action)
    {
        var columns = features.Columns;
        var buffer = new float[BatchRows * columns];
        for (var start = 0; start < features.Rows; start += BatchRows)
        {
            var count = Math.Min(BatchRows, features.Rows - start);
            features.CopyRows(start, count, buffer);
            for (var r = 0; r < count; r++)
            {
                action(buffer.AsSpan(r * columns, columns));
            }
        }
    }
}

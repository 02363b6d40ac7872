namespace SegaLearn.Data;

/// <summary>Features held as row-major float32 values.</summary>
public sealed class DenseFeatures : Features
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (row-major, rows x columns) without copying.</summary>
    public DenseFeatures(float[] values, int rows, int columns)
        : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if ((long)rows * columns != values.LongLength)
        {
            throw new ArgumentException($"{values.Length} values do not make a {rows}x{columns} matrix", nameof(values));
        }

        _values = values;
    }

    /// <summary>The row-major values (rows x columns).</summary>
    public ReadOnlySpan<float> Values => _values;

    public ReadOnlySpan<float> Row(int row) => _values.AsSpan(row * Columns, Columns);

    public static DenseFeatures FromArray(float[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new float[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                flat[r * columns + c] = values[r, c];
            }
        }

        return new DenseFeatures(flat, rows, columns);
    }

    public static DenseFeatures FromJagged(float[][] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var columns = values.Length == 0 ? 0 : values[0].Length;
        var flat = new float[values.Length * columns];
        for (var r = 0; r < values.Length; r++)
        {
            if (values[r].Length != columns)
            {
                throw new ArgumentException($"row {r} has {values[r].Length} values, row 0 has {columns}", nameof(values));
            }

            values[r].CopyTo(flat, r * columns);
        }

        return new DenseFeatures(flat, values.Length, columns);
    }

    public override Features SelectRows(ReadOnlySpan<int> rowIndices)
    {
        var flat = new float[rowIndices.Length * Columns];
        GatherRows(rowIndices, flat);
        return new DenseFeatures(flat, rowIndices.Length, Columns);
    }

    protected override void GatherRowsUnchecked(ReadOnlySpan<int> rowIndices, Span<float> destination)
    {
        var columns = Columns;
        for (var i = 0; i < rowIndices.Length; i++)
        {
            _values.AsSpan(rowIndices[i] * columns, columns).CopyTo(destination.Slice(i * columns, columns));
        }
    }

    protected override unsafe void PrefetchRowsUnchecked(ReadOnlySpan<int> rowIndices)
    {
        fixed (float* values = _values)
        {
            foreach (var row in rowIndices)
            {
                PrefetchBytes(values + (long)row * Columns, (long)Columns * sizeof(float));
            }
        }
    }

    protected override void CopyRowsUnchecked(int start, int count, Span<float> destination) =>
        _values.AsSpan(start * Columns, count * Columns).CopyTo(destination);
}

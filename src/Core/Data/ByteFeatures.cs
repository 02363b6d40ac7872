using System.Numerics.Tensors;

namespace SegaLearn.Data;

/// <summary>
/// Features held as row-major bytes and multiplied by <see cref="Scale"/> when rows are gathered, so that byte
/// images (Fashion-MNIST: 60000 x 784 pixels, scale 1/255) take one byte per value in memory instead of four.
/// </summary>
public sealed class ByteFeatures : Features
{
    private readonly byte[] _values;

    /// <summary>Wraps <paramref name="values"/> (row-major, rows x columns) without copying.</summary>
    public ByteFeatures(byte[] values, int rows, int columns, float scale = 1f)
        : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if ((long)rows * columns != values.LongLength)
        {
            throw new ArgumentException($"{values.Length} values do not make a {rows}x{columns} matrix", nameof(values));
        }

        if (!float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be a finite number");
        }

        _values = values;
        Scale = scale;
    }

    /// <summary>The factor applied to every byte when it is gathered as a float.</summary>
    public float Scale { get; }

    /// <summary>The raw row-major bytes (rows x columns), before scaling.</summary>
    public ReadOnlySpan<byte> Values => _values;

    /// <summary>The raw bytes of one row, before scaling.</summary>
    public ReadOnlySpan<byte> Row(int row) => _values.AsSpan(row * Columns, Columns);

    public override Features SelectRows(ReadOnlySpan<int> rowIndices)
    {
        var columns = Columns;
        var selected = new byte[rowIndices.Length * columns];
        for (var i = 0; i < rowIndices.Length; i++)
        {
            var row = rowIndices[i];
            if ((uint)row >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rowIndices), $"row {row} is outside 0..{Rows - 1}");
            }

            _values.AsSpan(row * columns, columns).CopyTo(selected.AsSpan(i * columns, columns));
        }

        return new ByteFeatures(selected, rowIndices.Length, columns, Scale);
    }

    protected override void GatherRowsUnchecked(ReadOnlySpan<int> rowIndices, Span<float> destination)
    {
        var columns = Columns;
        for (var i = 0; i < rowIndices.Length; i++)
        {
            Scaled(_values.AsSpan(rowIndices[i] * columns, columns), destination.Slice(i * columns, columns));
        }
    }

    protected override unsafe void PrefetchRowsUnchecked(ReadOnlySpan<int> rowIndices)
    {
        fixed (byte* values = _values)
        {
            foreach (var row in rowIndices)
            {
                PrefetchBytes(values + (long)row * Columns, Columns);
            }
        }
    }

    protected override void CopyRowsUnchecked(int start, int count, Span<float> destination) =>
        Scaled(_values.AsSpan(start * Columns, count * Columns), destination.Slice(0, count * Columns));

    private void Scaled(ReadOnlySpan<byte> source, Span<float> destination)
    {
        TensorPrimitives.ConvertTruncating(source, destination);
        TensorPrimitives.Multiply(destination, Scale, destination);
    }
}

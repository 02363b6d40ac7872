using System.Runtime.Intrinsics.X86;

namespace SegaLearn.Data;

/// <summary>
/// A read-only matrix of samples (rows) by features (columns). Training never needs the whole matrix as
/// floats at once: it gathers the rows of one batch into a row-major float buffer, which lets byte-valued
/// images (Fashion-MNIST) stay bytes in memory and be scaled per batch.
/// </summary>
public abstract class Features
{
    protected Features(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Copies the given rows, in order, into <paramref name="destination"/> (row-major, rows x Columns).</summary>
    public void GatherRows(ReadOnlySpan<int> rowIndices, Span<float> destination)
    {
        if (destination.Length < rowIndices.Length * Columns)
        {
            throw new ArgumentException(
                $"destination holds {destination.Length} floats, {rowIndices.Length} rows need {rowIndices.Length * Columns}",
                nameof(destination));
        }

        CheckRows(rowIndices);
        GatherRowsUnchecked(rowIndices, destination);
    }

    /// <summary>
    /// Asks the processor to start loading the given rows into its caches, so that a later <see cref="GatherRows"/>
    /// of them does not wait on main memory: random batch rows of a large set are mostly cache misses (about 4% of a
    /// 2-thread W-FMNIST step). A hint only: nothing is read or changed.
    /// </summary>
    public void PrefetchRows(ReadOnlySpan<int> rowIndices)
    {
        CheckRows(rowIndices);
        PrefetchRowsUnchecked(rowIndices);
    }

    /// <summary>Copies the contiguous rows [start, start+count) into <paramref name="destination"/>.</summary>
    public void CopyRows(int start, int count, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Rows, nameof(count));
        if (destination.Length < count * Columns)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, needs {count * Columns}", nameof(destination));
        }

        CopyRowsUnchecked(start, count, destination);
    }

    /// <summary>A new matrix with the given rows, in order (used for train/test splits).</summary>
    public abstract Features SelectRows(ReadOnlySpan<int> rowIndices);

    protected abstract void GatherRowsUnchecked(ReadOnlySpan<int> rowIndices, Span<float> destination);

    protected abstract void CopyRowsUnchecked(int start, int count, Span<float> destination);

    private void CheckRows(ReadOnlySpan<int> rowIndices)
    {
        foreach (var row in rowIndices)
        {
            if ((uint)row >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rowIndices), $"row {row} is outside 0..{Rows - 1}");
            }
        }
    }

    /// <summary>Issues the prefetches of <see cref="PrefetchRows"/>; the default issues none.</summary>
    protected virtual void PrefetchRowsUnchecked(ReadOnlySpan<int> rowIndices)
    {
    }

    /// <summary>Prefetches <paramref name="bytes"/> bytes from <paramref name="start"/>, a cache line at a time (x86 only).</summary>
    protected static unsafe void PrefetchBytes(void* start, long bytes)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var first = (byte*)start;
        for (long offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch1(first + offset);
        }
    }

    public static implicit operator Features(float[,] values) => DenseFeatures.FromArray(values);

    public static implicit operator Features(float[][] values) => DenseFeatures.FromJagged(values);
}

using System.Diagnostics.CodeAnalysis;

namespace SegaLearn.Data;

/// <summary>
/// What a network is trained to predict for each row: a class index (classification) or <see cref="Width"/> real
/// values (regression, row-major). An <c>int[]</c> converts to class targets and a <c>float[]</c> to one value per
/// row, so the seed's <c>Train(x, y)</c> reads the same for both.
/// </summary>
public sealed class Targets
{
    private readonly int[]? _classes;
    private readonly float[]? _values;

    private Targets(int[]? classes, float[]? values, int rows, int width)
    {
        _classes = classes;
        _values = values;
        Rows = rows;
        Width = width;
    }

    /// <summary>Rows the targets cover.</summary>
    public int Rows { get; }

    /// <summary>Values per row: 1 for classes, the number of outputs for regression.</summary>
    public int Width { get; }

    /// <summary>Whether these are real values (regression) rather than class indices.</summary>
    public bool IsRegression => _values is not null;

    /// <summary>The class index of each row.</summary>
    /// <exception cref="InvalidOperationException">These are regression targets.</exception>
    public int[] Classes => _classes ?? throw new InvalidOperationException("regression targets hold values, not classes");

    /// <summary>The values, <see cref="Rows"/> × <see cref="Width"/>, row-major.</summary>
    /// <exception cref="InvalidOperationException">These are class targets.</exception>
    public float[] Values => _values ?? throw new InvalidOperationException("class targets hold class indices, not values");

    /// <summary>Class targets, one index per row (not copied).</summary>
    public static Targets FromClasses(int[] classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return new Targets(classes, null, classes.Length, 1);
    }

    /// <summary>Regression targets, <paramref name="width"/> values per row, row-major (not copied).</summary>
    public static Targets FromValues(float[] values, int width = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (values.Length % width != 0)
        {
            throw new ArgumentException($"{values.Length} values do not make rows of {width}", nameof(values));
        }

        return new Targets(null, values, values.Length / width, width);
    }

    [return: NotNullIfNotNull(nameof(classes))]
    public static implicit operator Targets?(int[]? classes) => classes is null ? null : FromClasses(classes);

    [return: NotNullIfNotNull(nameof(values))]
    public static implicit operator Targets?(float[]? values) => values is null ? null : FromValues(values);

    /// <summary>The targets of the given rows, in order.</summary>
    public Targets SelectRows(ReadOnlySpan<int> rows)
    {
        if (_classes is not null)
        {
            var classes = new int[rows.Length];
            for (var i = 0; i < rows.Length; i++)
            {
                classes[i] = _classes[rows[i]];
            }

            return FromClasses(classes);
        }

        var values = new float[rows.Length * Width];
        for (var i = 0; i < rows.Length; i++)
        {
            _values.AsSpan(rows[i] * Width, Width).CopyTo(values.AsSpan(i * Width));
        }

        return FromValues(values, Width);
    }
}

namespace SegaLearn.Serialization;

/// <summary>One named F32 tensor of a safetensors file: its shape and its values in row-major order.</summary>
public sealed class SafeTensor
{
    /// <param name="name">The tensor's key in the file (not empty, not <c>__metadata__</c>).</param>
    /// <param name="shape">Dimensions, each &gt;= 0; their product must equal the length of <paramref name="data"/>.</param>
    /// <param name="data">Row-major values; kept, not copied.</param>
    public SafeTensor(string name, IReadOnlyList<int> shape, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (name == SafeTensorsFile.MetadataKey)
        {
            throw new ArgumentException($"'{SafeTensorsFile.MetadataKey}' is reserved for the metadata", nameof(name));
        }

        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"tensor '{name}' has a negative dimension in {ShapeText(shape)}", nameof(shape));
            }

            count *= dimension;
            if (count > int.MaxValue)
            {
                throw new ArgumentException($"tensor '{name}' of shape {ShapeText(shape)} is too large", nameof(shape));
            }
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"tensor '{name}' of shape {ShapeText(shape)} needs {count} values, got {data.Length}", nameof(data));
        }

        Name = name;
        Shape = shape.ToArray();
        Data = data;
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape { get; }

#pragma warning disable CA1819 // The values are the payload: callers read and fill them in place.
    public float[] Data { get; }
#pragma warning restore CA1819

    /// <summary>The shape as <c>[a,b]</c>, the form used in error messages.</summary>
    public static string ShapeText(IEnumerable<int> shape) =>
        "[" + string.Join(',', shape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

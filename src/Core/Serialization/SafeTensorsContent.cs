namespace SegaLearn.Serialization;

/// <summary>What a safetensors file holds: its string metadata and its tensors in header order.</summary>
public sealed class SafeTensorsContent
{
    private readonly Dictionary<string, SafeTensor> _byName;

    public SafeTensorsContent(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        Metadata = metadata;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of the header.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public SafeTensor? Find(string name) => _byName.GetValueOrDefault(name);
}

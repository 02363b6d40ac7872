namespace SegaLearn;

/// <summary>
/// Where each layer's weights and bias sit in the one flat parameter (and gradient) buffer. Layer l's weight
/// is stored row-major as [in, out] (the seed's layout, so the forward pass is <c>Z = A·W + b</c>), directly
/// followed by its bias [out]. Model files transpose to PyTorch's [out, in].
/// </summary>
public sealed class ParameterLayout
{
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly int[] _sizes;

    public ParameterLayout(IReadOnlyList<int> layerSizes)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        _sizes = layerSizes.ToArray();
        var layers = _sizes.Length - 1;
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        long offset = 0;
        for (var l = 0; l < layers; l++)
        {
            _weightOffsets[l] = checked((int)offset);
            offset += (long)_sizes[l] * _sizes[l + 1];
            _biasOffsets[l] = checked((int)offset);
            offset += _sizes[l + 1];
        }

        TotalCount = checked((int)offset);
    }

    public int LayerCount => _weightOffsets.Length;

    public int TotalCount { get; }

    public int InputsOf(int layer) => _sizes[layer];

    public int OutputsOf(int layer) => _sizes[layer + 1];

    public int WeightOffset(int layer) => _weightOffsets[layer];

    public int WeightCount(int layer) => _sizes[layer] * _sizes[layer + 1];

    public int BiasOffset(int layer) => _biasOffsets[layer];

    public Span<float> Weights(Span<float> buffer, int layer) => buffer.Slice(_weightOffsets[layer], WeightCount(layer));

    public ReadOnlySpan<float> Weights(ReadOnlySpan<float> buffer, int layer) => buffer.Slice(_weightOffsets[layer], WeightCount(layer));

    public Span<float> Bias(Span<float> buffer, int layer) => buffer.Slice(_biasOffsets[layer], _sizes[layer + 1]);

    public ReadOnlySpan<float> Bias(ReadOnlySpan<float> buffer, int layer) => buffer.Slice(_biasOffsets[layer], _sizes[layer + 1]);
}

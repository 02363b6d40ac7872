using BenchmarkDotNet.Attributes;
using SegaLearn.Compute;

namespace SegaLearn.Benchmarks;

/// <summary>The fused kernels at W-FMNIST sizes (batch 128, hidden 256, 10 classes, 234752 weights).</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private const int Rows = 128;
    private const int Hidden = 256;
    private const int Classes = 10;
    private const int Parameters = 235146;

    private readonly SimdBackend _backend = new(threads: 1);
    private float[] _z = [];
    private float[] _a = [];
    private float[] _bias = [];
    private float[] _gradient = [];
    private float[] _logits = [];
    private float[] _probabilities = [];
    private float[] _lossGradient = [];
    private int[] _labels = [];
    private float[] _w = [];
    private float[] _g = [];
    private float[] _m = [];
    private float[] _v = [];
    private float[] _sums = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _z = Values(Rows * Hidden);
        _a = new float[Rows * Hidden];
        _bias = Values(Hidden);
        _gradient = Values(Rows * Hidden);
        _logits = Values(Rows * Classes);
        _probabilities = new float[Rows * Classes];
        _lossGradient = new float[Rows * Classes];
        _labels = Enumerable.Range(0, Rows).Select(i => i % Classes).ToArray();
        _w = Values(Parameters);
        _g = Values(Parameters);
        _m = new float[Parameters];
        _v = new float[Parameters];
        _sums = new float[Hidden];
    }

    [Benchmark]
    public void BiasReLU() => _backend.BiasActivation(_z, _bias, _a, Rows, Hidden, Activation.ReLU);

    [Benchmark]
    public void ReLUBackward() => _backend.ActivationBackward(_z, _a, _gradient, Rows, Hidden, Activation.ReLU);

    [Benchmark]
    public double SoftmaxCrossEntropy() => _backend.SoftmaxCrossEntropy(_logits, _labels, _probabilities, _lossGradient, Rows, Classes);

    [Benchmark]
    public void ColumnSums() => _backend.ColumnSums(_gradient, Rows, Hidden, _sums);

    [Benchmark]
    public void AdamUpdate() => _backend.AdamUpdate(_w, _g, _m, _v, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0.5f, 0.01f), new GradientTransform(1f / 128, 0f));

    [Benchmark]
    public void SgdUpdate() => _backend.SgdUpdate(_w, _g, _m, 1e-3f, 0.9f, 0f, new GradientTransform(1f / 512, 0f));
}

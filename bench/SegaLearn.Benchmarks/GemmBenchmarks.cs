using BenchmarkDotNet.Attributes;
using SegaLearn.Compute;

namespace SegaLearn.Benchmarks;

/// <summary>The products of W-FMNIST (batch 128) and W-WIDE (batch 512), all three variants, on 1 and 2 threads.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private SimdBackend _backend = null!;

    public static IEnumerable<GemmShape> Shapes =>
    [
        new("fmnist forward 0", false, false, 128, 256, 784),
        new("fmnist dW 0", true, false, 784, 256, 128),
        new("fmnist forward 1", false, false, 128, 128, 256),
        new("fmnist dW 1", true, false, 256, 128, 128),
        new("fmnist dX 1", false, true, 128, 256, 128),
        new("fmnist forward 2", false, false, 128, 10, 128),
        new("wide forward 0", false, false, 512, 2048, 1024),
        new("wide forward 1", false, false, 512, 2048, 2048),
        new("wide dW 1", true, false, 2048, 2048, 512),
        new("wide dX 1", false, true, 512, 2048, 2048),
    ];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = new SimdBackend(Threads);
        var random = new Random(42);
        _a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _c = new float[Shape.M * Shape.N];
    }

    [Benchmark]
    public void Gemm() => _backend.Gemm(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, _a, _b, _c, 0f);
}

using BenchmarkDotNet.Attributes;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Training;

namespace SegaLearn.Benchmarks;

/// <summary>One W-FMNIST training step (batch 128: forward, backward, Adam) on random bytes; must allocate nothing.</summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private const int Rows = 1024;
    private const int Batch = 128;

    private NeuralNetwork _network = null!;
    private BlockGradient _block = null!;
    private AdamOptimizer _optimizer = null!;
    private ByteFeatures _features = null!;
    private Targets _labels = null!;
    private int[] _order = [];
    private float[] _gradient = [];
    private int _step;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var backend = new SimdBackend(Threads);
        var random = new Random(42);
        var pixels = new byte[Rows * 784];
        random.NextBytes(pixels);
        _features = new ByteFeatures(pixels, Rows, 784, 1f / 255f);
        _labels = Targets.FromClasses(Enumerable.Range(0, Rows).Select(i => i % 10).ToArray());
        _order = Enumerable.Range(0, Rows).ToArray();
        _network = new NeuralNetwork([784, 256, 128, 10], dropoutRate: 0, regLambda: 0, seed: 42, backend: backend);
        _block = new BlockGradient(new ModelReplica(_network.Architecture, backend, Batch), Batch);
        _optimizer = new AdamOptimizer(regLambda: 0);
        _gradient = new float[_network.Layout.TotalCount];
    }

    [Benchmark]
    public double Step()
    {
        var rows = _order.AsSpan(_step++ % (Rows / Batch) * Batch, Batch);
        var loss = _block.Compute(_network.Parameters, _features, _labels, rows, 0, _step, 0, _gradient);
        _optimizer.Step(_network.Backend, _network.Layout, _network.Parameters, _gradient, 1f / Batch, 0f);
        return loss;
    }
}

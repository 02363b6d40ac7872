using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Training;

/// <summary>
/// The seed's defaults (dropout 0.2, L2 0.01 in the loss, Adam with its 0.01 decay) drive the weights of inputs that
/// are always zero toward zero, through the denormal range, where every operation costs a microcode assist on x86.
/// Every backend flushes them to +0 in the passes that write them; these runs check that none is left.
/// </summary>
public sealed class DenormalFlushTests
{
    private const int Features = 16;

    /// <summary>Inputs that carry a signal; the other half of the columns is always zero, like a border pixel.</summary>
    private const int LiveFeatures = 8;

    public static TheoryData<string> Backends
    {
        get
        {
            var names = new TheoryData<string> { "reference", "scalar", "v128-2threads" };
            if (SimdBackend.SupportsV256)
            {
                names.Add("v256");
            }

            return names;
        }
    }

    private static IComputeBackend Create(string name) => name switch
    {
        "reference" => new ReferenceBackend(),
        "scalar" => new SimdBackend(threads: 1, VectorWidth.Scalar),
        "v128-2threads" => new SimdBackend(threads: 2, VectorWidth.V128),
        _ => new SimdBackend(threads: 1, VectorWidth.V256),
    };

    private static (DenseFeatures X, int[] Y) DeadInputBlobs(int rows)
    {
        var random = new DeterministicRandom(11);
        var x = new float[rows * Features];
        var y = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            y[i] = i % 3;
            for (var j = 0; j < LiveFeatures; j++)
            {
                x[i * Features + j] = (float)(random.NextGaussian() + (j % 3 == y[i] ? 1.5 : 0));
            }
        }

        return (new DenseFeatures(x, rows, Features), y);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Training_with_the_seed_defaults_should_leave_no_denormal_parameter_or_optimizer_state(string backendName)
    {
        var (x, y) = DeadInputBlobs(96);
        var network = new NeuralNetwork([Features, 12, 3], dropoutRate: 0.2, regLambda: 0.01, seed: 5, backend: Create(backendName));
        var optimizer = new AdamOptimizer(learningRate: 0.01);
        // One epoch a call, so that the best-loss restore at the end of Train keeps the last weights.
        for (var epoch = 0; epoch < 2500; epoch++)
        {
            network.Train(x, y, optimizer, epochs: 1, batchSize: 32, earlyStoppingThreshold: 0, evaluateTrainingSet: false);
        }

        Assert.True(Denormals.Count(network.Parameters) == 0, $"{Denormals.Count(network.Parameters)} denormal parameters");
        foreach (var (name, values) in optimizer.State)
        {
            Assert.True(Denormals.Count(values) == 0, $"optimizer state {name} holds {Denormals.Count(values)} denormals");
        }

        // The run reaches the range that matters: the dead inputs' weights are within a few powers of ten of the
        // denormals (without the flush, 79-87 parameters of this run are denormal).
        var weights = network.Layout.Weights((ReadOnlySpan<float>)network.Parameters, 0);
        var deadWeights = weights[(LiveFeatures * 12)..].ToArray();
        Assert.True(deadWeights.Min(MathF.Abs) < 1e-30f, $"smallest dead-input weight {deadWeights.Min(MathF.Abs)}");
        Assert.True(network.Evaluate(x, y).Accuracy > 0.6, $"accuracy {network.Evaluate(x, y).Accuracy}");
    }
}

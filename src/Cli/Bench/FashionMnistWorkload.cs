using System.Diagnostics;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Training;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// W-FMNIST: Fashion-MNIST (pixels kept as bytes, scaled per batch), MLP [784,256,128,10] ReLU, softmax +
/// cross-entropy, Adam lr 1e-3 (0.9, 0.999, 1e-8), no dropout, no L2, batch 128 (one microbatch), shuffled every
/// epoch, 5 epochs. s/epoch is the median of epochs 2.. (training steps only, as the yardstick times them).
/// </summary>
internal sealed class FashionMnistWorkload : BenchWorkload
{
    private const int BatchSize = 128;

    public override string Name => "fmnist";

    public override string Description => "W-FMNIST: Fashion-MNIST MLP [784,256,128,10], Adam, batch 128, 5 epochs";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var clock = Stopwatch.StartNew();
        var split = FashionMnist.Load(settings.DataDirectory ?? FashionMnist.DefaultDirectory);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var (network, optimizer) = Model(settings);
        var epochs = settings.Epochs ?? 5;
        var train = split.Train;
        var history = network.Train(
            train.Features, train.Labels, optimizer, epochs, BatchSize, earlyStoppingThreshold: 0, microbatchSize: BatchSize, evaluateTrainingSet: false);
        var epochSeconds = history.Epochs.Select(e => e.Seconds).ToArray();
        var median = ProcessStats.SteadyEpochMedian(epochSeconds);
        var accuracy = network.Evaluate(split.Test.Features, split.Test.Labels).Accuracy;
        var weights = WeightCount(network);
        result.Add("epoch_s", epochSeconds)
            .Add("s_per_epoch", median)
            .Add("samples_per_s", train.Rows / median)
            .Add("test_accuracy", accuracy)
            .Add("gflops", 6.0 * weights * train.Rows / median / 1e9)
            .Add("n_weights", weights)
            .Add("load_s", loadSeconds);
    }

    /// <summary>The W-FMNIST network and optimizer (also W-DIST's), seeded with 42.</summary>
    internal static (NeuralNetwork Network, AdamOptimizer Optimizer) Model(BenchSettings settings) =>
        (new NeuralNetwork([784, 256, 128, 10], dropoutRate: 0, regLambda: 0, seed: 42, backend: settings.Backend),
         new AdamOptimizer(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, regLambda: 0));

    internal static long WeightCount(NeuralNetwork network)
    {
        long weights = 0;
        for (var l = 0; l < network.Layout.LayerCount; l++)
        {
            weights += network.Layout.WeightCount(l);
        }

        return weights;
    }
}

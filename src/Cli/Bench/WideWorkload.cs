using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// W-WIDE, compute-bound: X ~ N(0,1) 16384x1024, y = argmax(X·T) for a random 1024x10 teacher T, MLP
/// [1024,2048,2048,10] ReLU, softmax + cross-entropy, SGD lr 0.01, batch 512 (one microbatch), 2 epochs.
/// GFLOP/s = 6 · weights · samples / s, with s the median epoch after the first.
/// </summary>
internal sealed class WideWorkload : BenchWorkload
{
    private const int Rows = 16384;
    private const int Inputs = 1024;
    private const int Classes = 10;
    private const int BatchSize = 512;

    public override string Name => "wide";

    public override string Description => "W-WIDE: MLP [1024,2048,2048,10] on 16384 Gaussian samples, SGD, batch 512, 2 epochs";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var random = new DeterministicRandom(42);
        var x = new float[Rows * Inputs];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        var teacher = new float[Inputs * Classes];
        for (var i = 0; i < teacher.Length; i++)
        {
            teacher[i] = (float)random.NextGaussian();
        }

        var scores = new float[Rows * Classes];
        settings.Backend.Gemm(false, false, Rows, Classes, Inputs, x, teacher, scores, 0f);
        var y = new int[Rows];
        for (var i = 0; i < Rows; i++)
        {
            var row = scores.AsSpan(i * Classes, Classes);
            y[i] = row.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(row));
        }

        var features = new DenseFeatures(x, Rows, Inputs);
        var network = new NeuralNetwork([Inputs, 2048, 2048, Classes], dropoutRate: 0, regLambda: 0, seed: 42, backend: settings.Backend);
        var history = network.Train(
            features, y, new SgdOptimizer(learningRate: 0.01), settings.Epochs ?? 2, BatchSize, earlyStoppingThreshold: 0, microbatchSize: BatchSize, evaluateTrainingSet: false);
        var epochSeconds = history.Epochs.Select(e => e.Seconds).ToArray();
        var median = ProcessStats.SteadyEpochMedian(epochSeconds);
        var weights = FashionMnistWorkload.WeightCount(network);
        result.Add("epoch_s", epochSeconds)
            .Add("s_per_epoch", median)
            .Add("samples_per_s", Rows / median)
            .Add("train_accuracy", network.Evaluate(features, y).Accuracy)
            .Add("gflops", 6.0 * weights * Rows / median / 1e9)
            .Add("n_weights", weights);
    }
}

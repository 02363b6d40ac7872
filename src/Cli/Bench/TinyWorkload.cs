using System.Diagnostics;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// W-TINY, the seed's example: 100x10 uniform features, random 0/1 labels, layers [10,5,1], dropout 0.2,
/// reg_lambda 0.01, Adam lr 1e-3, step decay 0.1 every 10 epochs, 100 epochs of batch 32. Like the PyTorch
/// yardstick it times training only: no per-epoch evaluation and no early stopping, so all 100 epochs run.
/// The first run in the process is the cold figure; the median of <c>--warm</c> further runs the warm one.
/// </summary>
internal sealed class TinyWorkload : BenchWorkload
{
    private const int Epochs = 100;
    private const int Rows = 100;

    public override string Name => "tiny";

    public override string Description => "W-TINY: the seed's [10,5,1] example, 100 epochs (overhead-bound)";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var data = BuiltInDatasets.Synthetic(seed: 42);
        var (cold, accuracy) = Once(settings, data);
        var warm = new List<double>();
        for (var i = 0; i < settings.Warm; i++)
        {
            (var seconds, accuracy) = Once(settings, data);
            warm.Add(seconds);
        }

        var median = warm.Count > 0 ? ProcessStats.Median(warm) : cold;
        result.Add("train_s_cold", cold)
            .Add("train_s_warm_median", median)
            .Add("train_s_warm", warm)
            .Add("s_per_epoch", median / Epochs)
            .Add("samples_per_s", Rows * Epochs / median)
            .Add("train_accuracy", accuracy);
    }

    private static (double Seconds, double Accuracy) Once(BenchSettings settings, LabeledData data)
    {
        var network = new NeuralNetwork([10, 5, 1], dropoutRate: 0.2, regLambda: 0.01, seed: 42, backend: settings.Backend);
        var optimizer = new AdamOptimizer(learningRate: 0.001);
        var scheduler = new StepLRScheduler(optimizer, lrDecay: 0.1, lrDecayEpoch: 10);
        var clock = Stopwatch.StartNew();
        network.Train(data.Features, data.Labels, optimizer, Epochs, batchSize: 32, earlyStoppingThreshold: 0, lrScheduler: scheduler, evaluateTrainingSet: false);
        var seconds = clock.Elapsed.TotalSeconds;
        return (seconds, network.Evaluate(data.Features, data.Labels).Accuracy);
    }
}

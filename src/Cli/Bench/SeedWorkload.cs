using System.Diagnostics;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// W-SEED: the seed's defaults on Fashion-MNIST (pixels scaled to [0, 1]): MLP [784,256,128,10] ReLU, dropout 0.2 on
/// the hidden layers, L2 0.01 in the loss (weights only), Adam lr 1e-3 (0.9, 0.999, 1e-8) with the seed's decay
/// <c>W -= lr·0.01·W</c>, batch 32, 3 epochs. An epoch's time includes its end-of-epoch loss and accuracy on the whole
/// training set, as the seed's train() computes them; s/epoch is the median of epochs 2.. . This is the workload where
/// weights decay into denormal floats; <c>denormal_weights</c> and <c>denormal_state</c> count what is left of them.
/// </summary>
internal sealed class SeedWorkload : BenchWorkload
{
    private const int BatchSize = 32;

    public override string Name => "seed";

    public override string Description => "W-SEED: the seed's defaults (dropout 0.2, L2 0.01, Adam decay 0.01, batch 32) on Fashion-MNIST, 3 epochs";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var clock = Stopwatch.StartNew();
        var split = FashionMnist.Load(settings.DataDirectory ?? FashionMnist.DefaultDirectory);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var regLambda = settings.RegLambda ?? 0.01;
        var decay = settings.WeightDecay ?? 0.01;
        var network = new NeuralNetwork([784, 256, 128, 10], dropoutRate: 0.2, regLambda: regLambda, seed: 42, backend: settings.Backend);
        var optimizer = new AdamOptimizer(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, regLambda: decay);
        var train = split.Train;
        var history = network.Train(
            train.Features, train.Labels, optimizer, settings.Epochs ?? 3, BatchSize, earlyStoppingThreshold: 0, microbatchSize: BatchSize, evaluateTrainingSet: true);
        var epochSeconds = history.Epochs.Select(e => e.Seconds).ToArray();
        var evaluationSeconds = history.Epochs.Select(e => e.EvaluationSeconds).ToArray();
        var median = ProcessStats.SteadyEpochMedian(epochSeconds);
        long denormalWeights = 0;
        for (var l = 0; l < network.Layout.LayerCount; l++)
        {
            denormalWeights += Denormals.Count(network.Layout.Weights((ReadOnlySpan<float>)network.Parameters, l));
        }

        var last = history.Epochs[^1];
        result.Add("epoch_s", epochSeconds)
            .Add("eval_s", evaluationSeconds)
            .Add("s_per_epoch", median)
            .Add("samples_per_s", train.Rows / median)
            .Add("test_accuracy", network.Evaluate(split.Test.Features, split.Test.Labels).Accuracy)
            .Add("train_loss", last.TrainLoss)
            .Add("train_accuracy", last.TrainAccuracy ?? double.NaN)
            .Add("denormal_weights", denormalWeights)
            .Add("denormal_state", optimizer.State.Sum(s => Denormals.Count(s.Value)))
            .Add("n_weights", FashionMnistWorkload.WeightCount(network))
            .Add("reg_lambda", regLambda)
            .Add("weight_decay", decay)
            .Add("load_s", loadSeconds);
    }
}

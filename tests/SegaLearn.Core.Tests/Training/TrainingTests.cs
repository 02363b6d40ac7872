using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

public sealed class TrainingTests
{
    private static (DenseFeatures X, int[] Y) Blobs(int rows, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var x = new float[rows * 4];
        var y = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            y[i] = i % 3;
            for (var j = 0; j < 4; j++)
            {
                x[i * 4 + j] = (float)(random.NextGaussian() + (j == y[i] ? 2.5 : 0));
            }
        }

        return (new DenseFeatures(x, rows, 4), y);
    }

    private static NeuralNetwork Network(ulong seed = 3, double dropout = 0.2) =>
        new([4, 8, 3], dropoutRate: dropout, regLambda: 0.01, seed: seed, backend: new ReferenceBackend());

    [Fact]
    public void Train_should_give_identical_parameters_for_the_same_seed()
    {
        var (x, y) = Blobs(50, 1);
        var first = Network();
        first.Train(x, y, new AdamOptimizer(0.01), epochs: 3, batchSize: 16, microbatchSize: 5);
        var second = Network();
        second.Train(x, y, new AdamOptimizer(0.01), epochs: 3, batchSize: 16, microbatchSize: 5);
        Assert.Equal(first.Parameters, second.Parameters);
        var other = Network(seed: 4);
        other.Train(x, y, new AdamOptimizer(0.01), epochs: 3, batchSize: 16, microbatchSize: 5);
        Assert.NotEqual(first.Parameters, other.Parameters);
    }

    [Fact]
    public void Train_should_learn_separable_classes()
    {
        var (x, y) = Blobs(300, 2);
        var network = Network();
        var history = network.Train(x, y, new AdamOptimizer(0.01), epochs: 30, batchSize: 32);
        Assert.True(network.Evaluate(x, y).Accuracy > 0.9, $"accuracy {network.Evaluate(x, y).Accuracy}");
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
    }

    [Theory]
    [InlineData(64, 32, 2)]
    [InlineData(65, 32, 3)]
    [InlineData(63, 32, 2)]
    [InlineData(32, 32, 1)]
    [InlineData(5, 32, 1)]
    public void Train_should_take_ceil_n_over_batch_steps_each_with_samples(int rows, int batchSize, int expectedSteps)
    {
        var (x, y) = Blobs(rows, 6);
        var steps = new List<StepCompleted>();
        Network().Train(
            x, y, new SgdOptimizer(0.1), epochs: 2, batchSize: batchSize, earlyStoppingThreshold: 0,
            progress: e =>
            {
                if (e is StepCompleted step)
                {
                    steps.Add(step);
                }
            });

        Assert.Equal(2 * expectedSteps, steps.Count);
        Assert.All(steps, s => Assert.Equal(expectedSteps, s.StepsPerEpoch));
        foreach (var epoch in new[] { 0, 1 })
        {
            var ofEpoch = steps.Where(s => s.Epoch == epoch).ToList();
            Assert.Equal(Enumerable.Range(0, expectedSteps), ofEpoch.Select(s => s.Step));
            Assert.Equal(rows, ofEpoch.Sum(s => s.Samples));
            Assert.All(ofEpoch, s => Assert.InRange(s.Samples, 1, batchSize));
        }
    }

    [Fact]
    public void Epoch_metrics_should_give_samples_per_second_as_rows_over_seconds_and_evaluation_within_the_epoch()
    {
        var (x, y) = Blobs(300, 8);
        var history = Network().Train(x, y, new SgdOptimizer(0.1), epochs: 3, batchSize: 32, earlyStoppingThreshold: 0);

        Assert.Equal(3, history.Epochs.Count);
        foreach (var m in history.Epochs)
        {
            Assert.True(m.Seconds > 0, $"epoch {m.Epoch}: {m.Seconds} s");
            Assert.Equal(300 / m.Seconds, m.SamplesPerSecond);
            Assert.InRange(m.EvaluationSeconds, 0, m.Seconds);
        }
    }

    [Fact]
    public void Epoch_seconds_should_cover_the_steps_and_the_end_of_epoch_evaluation()
    {
        // One step per epoch over the whole set: the evaluation on the training set costs about as much as the step,
        // so an epoch time that left it out would cover about half of the time between two epoch events.
        var (x, y) = Blobs(20_000, 4);
        var network = new NeuralNetwork([4, 64, 3], regLambda: 0.01, seed: 1, backend: new SimdBackend(threads: 1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var between = new List<double>();
        var last = TimeSpan.Zero;
        var history = network.Train(
            x, y, new AdamOptimizer(0.01), epochs: 4, batchSize: 20_000, microbatchSize: 20_000, earlyStoppingThreshold: 0,
            progress: e =>
            {
                if (e is EpochCompleted)
                {
                    between.Add((clock.Elapsed - last).TotalSeconds);
                    last = clock.Elapsed;
                }
            });

        for (var epoch = 1; epoch < history.Epochs.Count; epoch++)
        {
            var m = history.Epochs[epoch];
            Assert.True(m.EvaluationSeconds > 0 && m.EvaluationSeconds < m.Seconds, $"epoch {epoch}: {m.EvaluationSeconds} s of {m.Seconds} s evaluating");
            Assert.True(m.Seconds <= between[epoch] && m.Seconds > 0.75 * between[epoch], $"epoch {epoch}: {m.Seconds} s reported, {between[epoch]} s between epoch events");
            Assert.Equal(x.Rows / m.Seconds, m.SamplesPerSecond, 1e-6 * m.SamplesPerSecond);
        }
    }

    [Fact]
    public void Dropout_masks_should_depend_on_the_batch_position_not_on_the_microbatch_cut()
    {
        var (x, y) = Blobs(8, 3);
        var network = Network(dropout: 0.5);
        var rows = Enumerable.Range(0, 8).ToArray();
        var whole = new float[network.Layout.TotalCount];
        var whole_loss = new ModelReplica(network.Architecture, network.Backend, 8, 0.5, network.Seed)
            .ComputeGradientSum(network.Parameters, x, y, rows, new DropoutKey(2, 5, 0), whole);
        var replica = new ModelReplica(network.Architecture, network.Backend, 1, 0.5, network.Seed);
        var summed = new float[whole.Length];
        var one = new float[whole.Length];
        double loss = 0;
        for (var i = 0; i < 8; i++)
        {
            loss += replica.ComputeGradientSum(network.Parameters, x, y, rows.AsSpan(i, 1), new DropoutKey(2, 5, i), one);
            network.Backend.Add(summed, one);
        }

        Assert.Equal(whole_loss, loss, 5);
        for (var i = 0; i < whole.Length; i++)
        {
            Assert.Equal(whole[i], summed[i], 4);
        }

        var otherStep = new float[whole.Length];
        new ModelReplica(network.Architecture, network.Backend, 8, 0.5, network.Seed)
            .ComputeGradientSum(network.Parameters, x, y, rows, new DropoutKey(2, 6, 0), otherStep);
        Assert.NotEqual(whole, otherStep);
    }

    [Fact]
    public void Train_should_weight_a_short_last_batch_by_its_own_sample_count()
    {
        var (x, y) = Blobs(10, 4);
        var network = Network(dropout: 0);
        var expected = (float[])network.Parameters.Clone();
        var optimizer = new SgdOptimizer(learningRate: 0.1);
        network.Train(x, y, optimizer, epochs: 1, batchSize: 4, microbatchSize: 3, earlyStoppingThreshold: 0, evaluateTrainingSet: false);

        var order = new int[10];
        new DeterministicRandom(network.Seed, 0x53485546, 0).Permutation(order);
        var replica = new ModelReplica(network.Architecture, network.Backend, 3);
        var reference = new NeuralNetwork(network.Architecture, expected, dropoutRate: 0, regLambda: 0.01, seed: network.Seed, backend: network.Backend);
        var check = new SgdOptimizer(learningRate: 0.1);
        foreach (var (start, count) in new[] { (0, 4), (4, 4), (8, 2) })
        {
            var leaves = new List<float[]>();
            for (var m = start; m < start + count; m += 3)
            {
                var leaf = new float[expected.Length];
                replica.ComputeGradientSum(expected, x, y, order.AsSpan(m, Math.Min(3, start + count - m)), default, leaf);
                leaves.Add(leaf);
            }

            var gradient = new float[expected.Length];
            GradientTree.Sum(network.Backend, leaves, gradient);
            for (var i = 0; i < gradient.Length; i++)
            {
                gradient[i] /= count;
            }

            for (var l = 0; l < reference.Layout.LayerCount; l++)
            {
                var w = reference.Layout.Weights(expected.AsSpan(), l);
                var g = reference.Layout.Weights(gradient.AsSpan(), l);
                for (var i = 0; i < w.Length; i++)
                {
                    g[i] += 2 * 0.01f * w[i];
                }
            }

            check.Step(network.Backend, reference.Layout, expected, gradient);
        }

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], network.Parameters[i], 6);
        }
    }

    [Fact]
    public void Train_should_stop_early_and_restore_the_best_weights()
    {
        var (x, y) = Blobs(60, 5);
        var (xv, yv) = Blobs(30, 6);
        var network = Network(dropout: 0);
        var messages = new List<string>();
        var history = network.Train(
            x,
            y,
            new SgdOptimizer(learningRate: 5.0),
            epochs: 60,
            batchSize: 8,
            xVal: xv,
            yVal: yv,
            earlyStoppingThreshold: 3,
            progress: e =>
            {
                if (e is TrainingMessage m)
                {
                    messages.Add(m.Text);
                }
            });
        Assert.True(history.StoppedEarly);
        Assert.Contains($"Early stopping at epoch {history.Epochs.Count}", messages);
        var best = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(history.Epochs[history.BestEpoch].ValidationLoss, best);
        Assert.Equal(best, network.CalculateLoss(xv, yv), 12);
    }

    [Fact]
    public void Train_should_refuse_labels_outside_the_output_layer()
    {
        var (x, y) = Blobs(6, 7);
        y[4] = 3;
        var error = Assert.Throws<BadInputException>(() => Network().Train(x, y, epochs: 1));
        Assert.Contains("label 3 at row 5", error.Message, StringComparison.Ordinal);
    }
}

using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// A training step in steady state (buffers sized by the first steps) must not allocate on the training thread;
/// with 2 threads the first layer's products (64x128x300) are large enough to be split over the helper thread.
/// </summary>
public sealed class SteadyStateAllocationTests
{
    [Theory]
    [InlineData("adam", 1)]
    [InlineData("sgd", 1)]
    [InlineData("adadelta", 1)]
    [InlineData("adam", 2)]
    public void Training_step_should_allocate_nothing_when_buffers_are_warm(string optimizerName, int threads)
    {
        var backend = new SimdBackend(threads);
        const int rows = 256, columns = 300;
        var random = new Random(5);
        var x = Enumerable.Range(0, rows * columns).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Targets.FromClasses(Enumerable.Range(0, rows).Select(i => i % 10).ToArray());
        var features = new DenseFeatures(x, rows, columns);
        var network = new NeuralNetwork([columns, 128, 32, 10], dropoutRate: 0.2, regLambda: 0.01, seed: 3, backend: backend);
        Optimizer optimizer = optimizerName switch
        {
            "adam" => new AdamOptimizer(),
            "sgd" => new SgdOptimizer(0.01, momentum: 0.9),
            _ => new AdadeltaOptimizer(),
        };
        var replica = new ModelReplica(network.Architecture, backend, 64, network.DropoutRate, network.Seed);
        var block = new BlockGradient(replica, 64);
        var gradient = new float[network.Layout.TotalCount];
        var order = Enumerable.Range(0, rows).Reverse().ToArray();

        void Step(int step)
        {
            var batch = order.AsSpan(step % 2 * 128, 128);
            var loss = block.Compute(network.Parameters, features, labels, batch, 0, step, 0, gradient);
            Assert.True(double.IsFinite(loss));
            optimizer.Step(backend, network.Layout, network.Parameters, gradient, 1f / batch.Length, 2 * (float)network.RegLambda);
        }

        var steps = 0;
        while (steps < 40)
        {
            Step(steps++);
        }

        // The runtime itself may allocate on this thread now and then while it recompiles hot methods (tiered JIT);
        // a per-step allocation of ours would show in every window, so the quietest of three windows must be 0.
        var fewest = long.MaxValue;
        for (var window = 0; window < 3 && fewest > 0; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10; i++)
            {
                Step(steps++);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }
}

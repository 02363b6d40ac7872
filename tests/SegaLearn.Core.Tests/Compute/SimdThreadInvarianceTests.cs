using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// SimdBackend splits work over output tiles only, never over a sum, so the thread count must not change a bit:
/// of a product large enough to be split, and of a whole training run.
/// </summary>
public sealed class SimdThreadInvarianceTests
{
    private static readonly SimdBackend[] Backends = [new(threads: 1), new(threads: 2), new(threads: 3)];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Gemm_should_be_bitwise_identical_when_run_on_1_2_or_3_threads(bool transposeA, bool transposeB)
    {
        foreach (var (m, n, k) in new[] { (300, 257, 130), (128, 256, 784), (61, 2100, 300), (20, 20, 20), (2999, 10, 400) })
        {
            var a = TestVectors.Uniform(m * k, 1);
            var b = TestVectors.Uniform(k * n, 2);
            float[]? first = null;
            foreach (var backend in Backends)
            {
                foreach (var beta in new[] { 0f, 1f })
                {
                    var c = TestVectors.Uniform(m * n, 3);
                    backend.Gemm(transposeA, transposeB, m, n, k, a, b, c, beta);
                    if (beta == 1)
                    {
                        first ??= c;
                        Assert.Equal(first, c);
                    }
                }
            }
        }
    }

    [Fact]
    public void Gemm_should_be_bitwise_identical_on_1_2_or_3_threads_when_every_product_is_denormal()
    {
        // Products of 1e-20 and 1e-20 are 1e-40; 2000 of them add up to a normal 2e-37 unless each is flushed, so a
        // helper thread computing in another floating-point mode than the caller would change the result.
        const int m = 300, n = 257, k = 2000;
        var a = Enumerable.Repeat(1e-20f, m * k).ToArray();
        var b = Enumerable.Repeat(1e-20f, k * n).ToArray();
        float[]? first = null;
        foreach (var backend in Backends)
        {
            var c = new float[m * n];
            backend.Gemm(false, false, m, n, k, a, b, c, 0f);
            first ??= c;
            Assert.Equal(first, c);
        }

        Assert.All(first!, value => Assert.Equal(FlushToZeroMode.IsSupported ? 0f : 2e-37f, value, 1e-40f));
    }

    [Fact]
    public void Dispose_should_stop_the_helper_threads_and_leave_a_backend_that_computes_the_same_bits_alone()
    {
        const int m = 300, n = 257, k = 130;
        var a = TestVectors.Uniform(m * k, 11);
        var b = TestVectors.Uniform(k * n, 12);
        var backend = new SimdBackend(threads: 3);
        var before = new float[m * n];
        backend.Gemm(false, false, m, n, k, a, b, before, 0f);
        var helpers = backend.HelperThreads;
        Assert.Equal(2, helpers.Count);
        Assert.All(helpers, thread => Assert.True(thread.IsAlive));

        backend.Dispose();

        Assert.All(helpers, thread => Assert.False(thread.IsAlive));
        var after = new float[m * n];
        backend.Gemm(false, false, m, n, k, a, b, after, 0f);
        Assert.Equal(before, after);
        Assert.Empty(backend.HelperThreads);
    }

    [Fact]
    public void Gemm_should_give_the_same_bits_when_several_threads_call_one_backend_at_once()
    {
        const int m = 200, n = 150, k = 300;
        var a = TestVectors.Uniform(m * k, 5);
        var b = TestVectors.Uniform(k * n, 6);
        var expected = new float[m * n];
        Backends[1].Gemm(false, false, m, n, k, a, b, expected, 0f);
        var results = new float[4][];
        Parallel.For(0, results.Length, i =>
        {
            for (var repeat = 0; repeat < 20; repeat++)
            {
                results[i] = new float[m * n];
                Backends[1].Gemm(false, false, m, n, k, a, b, results[i], 0f);
            }
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Updates_and_sums_should_be_bitwise_identical_when_split_over_1_2_or_3_threads()
    {
        const int length = 100_003;
        var g = TestVectors.Uniform(length, 11);
        var step = new AdamStep(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.19f, 0.001999f);
        var transform = new GradientTransform(1f / 3, 0.02f);
        float[][]? first = null;
        foreach (var backend in Backends)
        {
            var w = TestVectors.Uniform(length, 12);
            var m = TestVectors.Uniform(length, 13);
            var v = TestVectors.Uniform(length, 14).Select(Math.Abs).ToArray();
            var mirror = new float[length];
            backend.AdamUpdate(w, g, m, v, step, transform, mirror);
            Assert.Equal(w, mirror);
            var velocity = TestVectors.Uniform(length, 15);
            backend.SgdUpdate(w, g, velocity, 0.05f, 0.9f, 0.01f, transform);
            var sum = new float[length];
            backend.Add(w, g, sum);
            backend.Add(m, sum);
            first ??= [w, m, v, velocity, sum, mirror];
            Assert.Equal(first, [w, m, v, velocity, sum, mirror]);
        }
    }

    [Fact]
    public void Add_should_leave_rested_helpers_asleep_when_an_update_wakes_them()
    {
        const int length = 100_003;
        var backend = new SimdBackend(threads: 2);
        var x = TestVectors.Uniform(length, 21);
        var y = TestVectors.Uniform(length, 22);
        var expected = new float[length];
        Backends[0].Add(x, y, expected);
        backend.Add(x, y, new float[length]);
        Assert.False(backend.HelpersResting);

        backend.Rest();
        var sum = new float[length];
        backend.Add(x, y, sum);
        Assert.Equal(expected, sum);
        Assert.True(backend.HelpersResting, "a sum woke the rested helpers");

        var step = new AdamStep(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.19f, 0.001999f);
        backend.AdamUpdate(TestVectors.Uniform(length, 23), x, TestVectors.Uniform(length, 24), TestVectors.Uniform(length, 25).Select(Math.Abs).ToArray(), step, new GradientTransform(1f, 0f));
        Assert.False(backend.HelpersResting, "an update left the helpers resting");
    }

    [Fact]
    public void Training_should_give_bitwise_identical_parameters_when_run_on_1_2_or_3_threads()
    {
        // 256·160 weights are enough for the optimizer to split its pass over threads.
        const int rows = 384, columns = 256;
        var x = TestVectors.Uniform(rows * columns, 4);
        var y = Enumerable.Range(0, rows).Select(i => i * 7 % 10).ToArray();
        var features = new DenseFeatures(x, rows, columns);
        float[]? first = null;
        foreach (var backend in Backends)
        {
            var network = new NeuralNetwork([columns, 160, 96, 10], dropoutRate: 0.1, regLambda: 0.01, seed: 7, backend: backend);
            network.Train(features, y, new AdamOptimizer(0.001), epochs: 2, batchSize: 128, microbatchSize: 128, evaluateTrainingSet: false);
            first ??= network.Parameters;
            Assert.Equal(first, network.Parameters);
        }
    }
}

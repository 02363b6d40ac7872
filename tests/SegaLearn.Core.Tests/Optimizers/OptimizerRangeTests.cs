using SegaLearn.Compute;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Optimizers;

/// <summary>
/// An update applied in ranges (as a distributed engine applies it while the gradient sum arrives) must give the bits of
/// one whole update, on every backend and vector width, for ranges that cut segments anywhere.
/// </summary>
public sealed class OptimizerRangeTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var backend in new[] { "reference", "scalar", "v128", "v256" })
            {
                foreach (var optimizer in new[] { "adam", "sgd", "adadelta" })
                {
                    data.Add(backend, optimizer);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ranges_should_give_the_bits_of_one_update_when_they_cut_segments_anywhere(string backendName, string optimizerName)
    {
        using var backend = Create(backendName);
        var layout = new ParameterLayout([37, 29, 5]);
        var random = new Random(11);
        var initial = Values(random, layout.TotalCount, 1);
        var gradients = Enumerable.Range(0, 3).Select(_ => Values(random, layout.TotalCount, 100)).ToArray();
        var whole = initial.ToArray();
        var ranged = initial.ToArray();
        var wholeOptimizer = Optimizer(optimizerName);
        var rangedOptimizer = Optimizer(optimizerName);

        foreach (var gradient in gradients)
        {
            wholeOptimizer.Step(backend, layout, whole, gradient, 1f / 7, 0.02f);
            rangedOptimizer.BeginStep(layout.TotalCount);
            var cuts = new SortedSet<int> { 0, layout.TotalCount };
            while (cuts.Count < 9)
            {
                cuts.Add(random.Next(1, layout.TotalCount));
            }

            var bounds = cuts.ToArray();
            foreach (var i in Enumerable.Range(0, bounds.Length - 1).OrderBy(_ => random.Next()))
            {
                rangedOptimizer.UpdateRange(backend, layout, ranged, gradient, 1f / 7, 0.02f, bounds[i], bounds[i + 1] - bounds[i]);
            }
        }

        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), ranged.Select(BitConverter.SingleToInt32Bits));
        for (var s = 0; s < wholeOptimizer.State.Count; s++)
        {
            Assert.Equal(wholeOptimizer.State[s].Value.Select(BitConverter.SingleToInt32Bits), rangedOptimizer.State[s].Value.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void UpdateRange_should_refuse_a_range_outside_the_parameters_or_before_a_step_begins()
    {
        using var backend = new ReferenceBackend();
        var layout = new ParameterLayout([3, 2]);
        var parameters = new float[layout.TotalCount];
        var optimizer = new AdamOptimizer();

        Assert.Throws<InvalidOperationException>(() => optimizer.UpdateRange(backend, layout, parameters, parameters, 1f, 0f, 0, 1));
        optimizer.BeginStep(layout.TotalCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.UpdateRange(backend, layout, parameters, parameters, 1f, 0f, 5, 4));
    }

    private static IComputeBackend Create(string name) => name switch
    {
        "reference" => new ReferenceBackend(),
        "scalar" => new SimdBackend(threads: 1, VectorWidth.Scalar),
        "v128" => new SimdBackend(threads: 1, VectorWidth.V128),
        _ => new SimdBackend(threads: 1, VectorWidth.V256),
    };

    private static Optimizer Optimizer(string name) => name switch
    {
        "adam" => new AdamOptimizer(learningRate: 0.01, regLambda: 0.01),
        "sgd" => new SgdOptimizer(learningRate: 0.05, momentum: 0.9, regLambda: 0.01),
        _ => new AdadeltaOptimizer(regLambda: 0.01),
    };

    private static float[] Values(Random random, int count, double scale) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * scale)).ToArray();
}

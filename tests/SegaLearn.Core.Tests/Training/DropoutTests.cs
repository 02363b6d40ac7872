using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

/// <summary>
/// What the dropout masks are, read back from the gradient of a network built so that every mask value shows:
/// one-hot inputs (row r feeds only row r of the first layer's weights), first-layer weights 1 and biases 0 (every
/// hidden unit outputs 1 before dropout), output weights <see cref="OutputWeight"/>. Row r's first-layer weight
/// gradient is then c·δ_r·mask[r, j], zero exactly where unit j was dropped for that sample, and everything else
/// follows by hand from which units were kept: logit_r = c·kept_r/(1-p), δ_r = σ(logit_r) - y_r, the BCE of those
/// logits, the output weights' gradient Σ_r δ_r·mask[r, j]. Statistical checks use 5-sigma binomial bounds; the
/// draws are deterministic, so a test that passes once passes always.
/// </summary>
public sealed class DropoutTests
{
    private const int Rows = 32;
    private const int Hidden = 256;
    private const float OutputWeight = 0.01f;
    private const ulong Seed = 42;

    private static readonly NetworkArchitecture Architecture = new([Rows, Hidden, 1], [Activation.ReLU, Activation.Sigmoid]);
    private static readonly ParameterLayout Layout = new(Architecture.LayerSizes);
    private static readonly int[] Labels = Enumerable.Range(0, Rows).Select(r => r % 2).ToArray();
    private static readonly int[] AllRows = Enumerable.Range(0, Rows).ToArray();
    private static readonly DenseFeatures OneHot = new(Enumerable.Range(0, Rows * Rows).Select(i => i / Rows == i % Rows ? 1f : 0f).ToArray(), Rows, Rows);
    private static readonly float[] Parameters = BuildParameters();

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    public void Dropout_should_keep_hidden_units_at_the_rate_1_minus_p_within_binomial_bounds(double rate)
    {
        var replica = new ModelReplica(Architecture, new ReferenceBackend(), Rows, rate, Seed);
        long kept = 0, draws = 0;
        for (var step = 0; step < 8; step++)
        {
            var masks = Kept(Compute(replica, new DropoutKey(1, step, 0)).Gradient);
            kept += masks.Count(k => k);
            draws += masks.Length;
        }

        var expected = draws * (1 - rate);
        var sigma = Math.Sqrt(draws * rate * (1 - rate));
        Assert.InRange(kept, expected - 5 * sigma, expected + 5 * sigma);
    }

    [Theory]
    [InlineData(0.2, 1.25)]
    [InlineData(0.5, 2.0)]
    [InlineData(0.75, 4.0)]
    public void Dropout_should_scale_kept_units_by_1_over_1_minus_p_and_leave_the_output_layer_whole(double rate, double scale)
    {
        var replica = new ModelReplica(Architecture, new ReferenceBackend(), Rows, rate, Seed);
        var (gradient, loss) = Compute(replica, new DropoutKey(3, 7, 64));
        var kept = Kept(gradient);

        // By hand, in double: each row's logit from its kept units (the output unit itself is never dropped).
        var delta = new double[Rows];
        double expectedLoss = 0;
        for (var r = 0; r < Rows; r++)
        {
            var logit = OutputWeight * scale * Enumerable.Range(0, Hidden).Count(j => kept[r * Hidden + j]);
            var p = 1 / (1 + Math.Exp(-logit));
            delta[r] = p - Labels[r];
            expectedLoss -= Labels[r] == 1 ? Math.Log(p) : Math.Log(1 - p);
        }

        Assert.Equal(expectedLoss, loss, expectedLoss * 1e-5);
        var w1 = Layout.Weights(gradient.AsSpan(), 0);
        var b1 = Layout.Bias(gradient.AsSpan(), 0);
        var w2 = Layout.Weights(gradient.AsSpan(), 1);
        var b2 = Layout.Bias(gradient.AsSpan(), 1);
        AssertClose(delta.Sum(), delta.Sum(Math.Abs), b2[0], "output bias");
        for (var j = 0; j < Hidden; j++)
        {
            double outputWeight = 0, hiddenBias = 0, magnitude = 0;
            for (var r = 0; r < Rows; r++)
            {
                var mask = kept[r * Hidden + j] ? scale : 0;
                outputWeight += delta[r] * mask;
                hiddenBias += OutputWeight * delta[r] * mask;
                magnitude += Math.Abs(delta[r] * mask);
                AssertClose(OutputWeight * delta[r] * mask, Math.Abs(OutputWeight * delta[r] * mask), w1[r * Hidden + j], $"first-layer weight [{r}, {j}]");
            }

            AssertClose(outputWeight, magnitude, w2[j], $"output weight {j}");
            AssertClose(hiddenBias, OutputWeight * magnitude, b1[j], $"hidden bias {j}");
        }
    }

    [Theory]
    [InlineData(Rows)]
    [InlineData(8)]
    [InlineData(1)]
    public void Dropout_masks_should_differ_between_epochs_steps_and_batch_positions_when_computed_by_blocks(int microbatch)
    {
        const double rate = 0.2;
        var block = new BlockGradient(new ModelReplica(Architecture, new ReferenceBackend(), microbatch, rate, Seed), microbatch);
        bool[] Masks(int epoch, int step, int firstSample)
        {
            var gradient = new float[Layout.TotalCount];
            block.Compute(Parameters, OneHot, Labels, AllRows, epoch, step, firstSample, gradient);
            return Kept(gradient);
        }

        var masks = Masks(2, 5, 0);
        Assert.Equal(masks, Masks(2, 5, 0));
        AssertIndependent(masks, Masks(3, 5, 0), rate, "the next epoch");
        AssertIndependent(masks, Masks(1, 5, 0), rate, "the previous epoch");
        AssertIndependent(masks, Masks(2, 6, 0), rate, "the next step");
        AssertIndependent(masks, Masks(2, 5, Rows), rate, "the next block of batch positions");
        AssertIndependent(masks, Masks(5, 2, 0), rate, "epoch and step swapped");
    }

    [Fact]
    public void Dropout_masks_should_not_depend_on_the_microbatch_cut_of_a_block()
    {
        var whole = new float[Layout.TotalCount];
        new BlockGradient(new ModelReplica(Architecture, new ReferenceBackend(), Rows, 0.5, Seed), Rows)
            .Compute(Parameters, OneHot, Labels, AllRows, 4, 9, 96, whole);
        var cut = new float[Layout.TotalCount];
        new BlockGradient(new ModelReplica(Architecture, new ReferenceBackend(), 4, 0.5, Seed), 4)
            .Compute(Parameters, OneHot, Labels, AllRows, 4, 9, 96, cut);

        Assert.Equal(Kept(whole), Kept(cut));
    }

    [Fact]
    public void Dropout_masks_should_be_the_same_for_the_same_seed_and_key_and_independent_for_another_seed()
    {
        const double rate = 0.3;
        var key = new DropoutKey(6, 11, 0);
        var first = Compute(new ModelReplica(Architecture, new ReferenceBackend(), Rows, rate, Seed), key).Gradient;
        var again = Compute(new ModelReplica(Architecture, new ReferenceBackend(), Rows, rate, Seed), key).Gradient;
        var otherSeed = Compute(new ModelReplica(Architecture, new ReferenceBackend(), Rows, rate, Seed + 1), key).Gradient;

        Assert.Equal(first, again);
        AssertIndependent(Kept(first), Kept(otherSeed), rate, "another seed");
    }

    [Fact]
    public void Inference_should_use_no_dropout_when_the_replica_has_a_rate()
    {
        var replica = new ModelReplica(Architecture, new ReferenceBackend(), Rows, 0.5, Seed);
        var probabilities = new float[Rows];
        var loss = replica.Infer(Parameters, OneHot, 0, Rows, Labels, probabilities);

        // Every hidden unit is 1 and kept as is: logit = c·Hidden for every row.
        var p = 1 / (1 + Math.Exp(-OutputWeight * Hidden));
        Assert.All(probabilities, value => Assert.Equal(p, value, 1e-6));
        var expectedLoss = Rows / 2 * (-Math.Log(p) - Math.Log(1 - p));
        Assert.Equal(expectedLoss, loss, expectedLoss * 1e-5);
    }

    private static (float[] Gradient, double Loss) Compute(ModelReplica replica, DropoutKey key)
    {
        var gradient = new float[Layout.TotalCount];
        var loss = replica.ComputeGradientSum(Parameters, OneHot, Labels, AllRows, key, gradient);
        return (gradient, loss);
    }

    /// <summary>Which hidden unit was kept for which row (row-major, Rows × Hidden): where its first-layer weight gradient is not zero.</summary>
    private static bool[] Kept(float[] gradient)
    {
        var w1 = Layout.Weights(gradient.AsSpan(), 0);
        var kept = new bool[Rows * Hidden];
        for (var i = 0; i < kept.Length; i++)
        {
            kept[i] = w1[i] != 0;
        }

        return kept;
    }

    /// <summary>
    /// Two independent masks of keep rate q agree on a unit with probability q² + (1-q)²; equal masks agree
    /// everywhere, which is far outside the bound.
    /// </summary>
    private static void AssertIndependent(bool[] a, bool[] b, double rate, string what)
    {
        var agree = a.Zip(b).Count(pair => pair.First == pair.Second);
        var q = rate * rate + (1 - rate) * (1 - rate);
        var sigma = Math.Sqrt(a.Length * q * (1 - q));
        Assert.True(
            Math.Abs(agree - a.Length * q) <= 5 * sigma,
            $"masks of {what} agree on {agree} of {a.Length} units; independent ones would on {a.Length * q:F0} ± {5 * sigma:F0}");
    }

    /// <summary>Within float rounding of a sum whose terms add up to <paramref name="magnitude"/> in absolute value.</summary>
    private static void AssertClose(double expected, double magnitude, float actual, string what)
    {
        var allowed = magnitude * 1e-5 + 1e-9;
        Assert.True(Math.Abs(expected - actual) <= allowed, $"{what}: {actual}, by hand {expected}");
    }

    private static float[] BuildParameters()
    {
        var parameters = new float[Layout.TotalCount];
        Layout.Weights(parameters.AsSpan(), 0).Fill(1f);
        Layout.Weights(parameters.AsSpan(), 1).Fill(OutputWeight);
        return parameters;
    }
}

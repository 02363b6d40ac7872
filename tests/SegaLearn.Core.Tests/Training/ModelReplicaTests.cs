using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

/// <summary>
/// A replica on networks with no hidden layer, whose outputs are worked out by hand: logits x·W + b, then softmax or
/// sigmoid, and the arguments a replica refuses.
/// </summary>
public sealed class ModelReplicaTests
{
    // Two rows of two features; W (2×3) and b give logits [1, 2, 0.5] and [0, -1, 3].
    private static readonly DenseFeatures X = new([1f, 0f, 0f, 1f], 2, 2);
    private static readonly float[] SoftmaxParameters = [1f, 2f, 0.5f, 0f, -1f, 3f, 0f, 0f, 0f];

    [Fact]
    public void Infer_should_give_the_softmax_of_the_logits_when_no_labels_are_given()
    {
        var replica = new ModelReplica(new NetworkArchitecture([2, 3]), new ReferenceBackend(), 2);
        var probabilities = new float[6];
        Assert.Equal(0, replica.Infer(SoftmaxParameters, X, 0, 2, null, probabilities));

        double[][] logits = [[1, 2, 0.5], [0, -1, 3]];
        var expected = logits.SelectMany(row => row.Select(z => (float)(Math.Exp(z) / row.Sum(Math.Exp)))).ToArray();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], probabilities[i], 1e-6);
        }
    }

    [Fact]
    public void Infer_should_give_the_sigmoid_of_the_logit_for_a_binary_model_without_labels()
    {
        var replica = new ModelReplica(new NetworkArchitecture([2, 1]), new ReferenceBackend(), 2);
        var probabilities = new float[2];
        replica.Infer([0.5f, -2f, 0.25f], X, 0, 2, null, probabilities);

        Assert.Equal(1 / (1 + Math.Exp(-0.75)), probabilities[0], 1e-6);
        Assert.Equal(1 / (1 + Math.Exp(1.75)), probabilities[1], 1e-6);
    }

    [Fact]
    public void Block_loss_should_be_the_sum_of_the_per_sample_losses_whatever_the_microbatch_cut()
    {
        // Row 0 has label 1, row 1 label 2: loss = -log p0[1] - log p1[2].
        double[][] logits = [[1, 2, 0.5], [0, -1, 3]];
        var expected = -Math.Log(Math.Exp(2) / logits[0].Sum(Math.Exp)) - Math.Log(Math.Exp(3) / logits[1].Sum(Math.Exp));
        var architecture = new NetworkArchitecture([2, 3]);
        foreach (var microbatch in new[] { 1, 2 })
        {
            var block = new BlockGradient(new ModelReplica(architecture, new ReferenceBackend(), microbatch), microbatch);
            var loss = block.Compute(SoftmaxParameters, X, Targets.FromClasses([1, 2]), [0, 1], 0, 0, 0, new float[9]);
            Assert.Equal(expected, loss, 1e-6);
        }
    }

    [Fact]
    public void Block_in_bfloat16_should_compute_at_the_rounded_parameters_and_round_each_leaf_and_their_sum()
    {
        var architecture = new NetworkArchitecture([2, 3]);
        var parameters = SoftmaxParameters.Select((p, i) => p + (i + 1) * MathF.Pow(2, -11)).ToArray();
        var untouched = (float[])parameters.Clone();
        var rounded = parameters.Select(BFloat16.Round).ToArray();
        var labels = Targets.FromClasses([1, 2]);
        var leaves = new[] { new float[9], new float[9] };
        var exact = new ModelReplica(architecture, new ReferenceBackend(), 1);
        exact.ComputeGradientSum(rounded, X, labels, [0], new DropoutKey(0, 0, 0), leaves[0]);
        exact.ComputeGradientSum(rounded, X, labels, [1], new DropoutKey(0, 0, 1), leaves[1]);

        var two = new float[9];
        new BlockGradient(new ModelReplica(architecture, new ReferenceBackend(), 1), 1, WireFormat.BFloat16).Compute(parameters, X, labels, [0, 1], 0, 0, 0, two);
        var one = new float[9];
        new BlockGradient(new ModelReplica(architecture, new ReferenceBackend(), 1), 1, WireFormat.BFloat16).Compute(parameters, X, labels, [1], 0, 0, 1, one);

        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(BFloat16.Round(BFloat16.Round(leaves[0][i]) + BFloat16.Round(leaves[1][i])), two[i]);
            Assert.Equal(BFloat16.Round(leaves[1][i]), one[i]);
        }

        Assert.Equal(untouched, parameters);
        Assert.Contains(leaves[1], v => !BFloat16.IsExact(v));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Replica_should_refuse_a_dropout_rate_outside_0_to_1(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelReplica(new NetworkArchitecture([2, 3]), new ReferenceBackend(), 2, rate));

    [Fact]
    public void Replica_should_refuse_buffers_of_the_wrong_size_and_too_many_rows()
    {
        var architecture = new NetworkArchitecture([2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelReplica(architecture, new ReferenceBackend(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockGradient(new ModelReplica(architecture, new ReferenceBackend(), 1), 0));
        var replica = new ModelReplica(architecture, new ReferenceBackend(), 1);
        Assert.Throws<ArgumentException>(() => replica.ComputeGradientSum(SoftmaxParameters, X, Targets.FromClasses([0, 1]), [0], default, new float[8]));
        Assert.Throws<ArgumentException>(() => replica.ComputeGradientSum(new float[8], X, Targets.FromClasses([0, 1]), [0], default, new float[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => replica.ComputeGradientSum(SoftmaxParameters, X, Targets.FromClasses([0, 1]), [0, 1], default, new float[9]));
        Assert.Throws<BadInputException>(() => replica.ComputeGradientSum(SoftmaxParameters, new DenseFeatures(new float[3], 1, 3), Targets.FromClasses([0]), [0], default, new float[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => replica.Infer(SoftmaxParameters, X, 0, 2, null, new float[6]));
    }
}

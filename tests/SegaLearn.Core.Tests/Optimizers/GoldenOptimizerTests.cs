using System.Text.Json;
using SegaLearn.Core.Tests.Network;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Optimizers;

/// <summary>One step of each optimizer on the true mean gradients of golden/multiclass_4_3_2.json.</summary>
public sealed class GoldenOptimizerTests
{
    private static readonly JsonElement Steps = GoldenFiles.Load("multiclass_4_3_2.json").GetProperty("optimizer_steps");

    public static TheoryData<string> Cases => new() { "adam_lr1e-3_defaults", "sgd_lr0.1_momentum0.9", "adadelta_defaults" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_should_match_the_original_update_of_weights_and_biases(string name)
    {
        var network = GoldenNetworkTests.GoldenNetwork(0);
        var gradient = GoldenNetworkTests.MeanGradient(network);
        Optimizer optimizer = name switch
        {
            "adam_lr1e-3_defaults" => new AdamOptimizer(learningRate: 0.001),
            "sgd_lr0.1_momentum0.9" => new SgdOptimizer(learningRate: 0.1, momentum: 0.9),
            _ => new AdadeltaOptimizer(),
        };
        optimizer.Step(network.Backend, network.Layout, network.Parameters, gradient);

        var expected = Steps.GetProperty(name).GetProperty("on_true_grads_reg0");
        var weights = expected.GetProperty("fresh_optimizer_per_layer").GetProperty("W").EnumerateArray().ToArray();
        var biases = expected.GetProperty("bias_as_parameter_no_decay").EnumerateArray().ToArray();
        for (var l = 0; l < 2; l++)
        {
            var w = GoldenFiles.Matrix(weights[l]).SelectMany(r => r).ToArray();
            var actual = network.Layout.Weights((ReadOnlySpan<float>)network.Parameters, l).ToArray();
            for (var i = 0; i < w.Length; i++)
            {
                Assert.Equal(w[i], actual[i], 2e-6);
            }

            var b = GoldenFiles.Matrix(biases[l])[0];
            var actualBias = network.Layout.Bias((ReadOnlySpan<float>)network.Parameters, l).ToArray();
            for (var i = 0; i < b.Length; i++)
            {
                Assert.Equal(b[i], actualBias[i], 2e-6);
            }
        }
    }
}

using System.Text.Json;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Network;

/// <summary>The original module's numbers for net [4,3,2] on five samples (golden/multiclass_4_3_2.json).</summary>
public sealed class GoldenNetworkTests
{
    private static readonly JsonElement Golden = GoldenFiles.Load("multiclass_4_3_2.json");

    internal static NeuralNetwork GoldenNetwork(double regLambda)
    {
        var architecture = new NetworkArchitecture([4, 3, 2]);
        var layout = new ParameterLayout(architecture.LayerSizes);
        var parameters = new float[layout.TotalCount];
        var weights = Golden.GetProperty("init").GetProperty("W").EnumerateArray().ToArray();
        var biases = Golden.GetProperty("init").GetProperty("b").EnumerateArray().ToArray();
        for (var l = 0; l < 2; l++)
        {
            var w = GoldenFiles.Matrix(weights[l]).SelectMany(r => r).Select(v => (float)v).ToArray();
            w.CopyTo(layout.Weights(parameters.AsSpan(), l));
            var b = GoldenFiles.Matrix(biases[l])[0].Select(v => (float)v).ToArray();
            b.CopyTo(layout.Bias(parameters.AsSpan(), l));
        }

        return new NeuralNetwork(architecture, parameters, dropoutRate: 0, regLambda: regLambda, seed: 1, backend: new ReferenceBackend());
    }

    internal static (Features X, int[] Y) GoldenData()
    {
        var x = GoldenFiles.Matrix(Golden.GetProperty("X"));
        var rows = x.Length;
        var flat = x.SelectMany(r => r).Select(v => (float)v).ToArray();
        var y = Golden.GetProperty("y").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (new DenseFeatures(flat, rows, 4), y);
    }

    [Fact]
    public void PredictProbabilities_should_match_the_original_softmax_output()
    {
        var network = GoldenNetwork(0);
        var (x, _) = GoldenData();
        var expected = GoldenFiles.Matrix(Golden.GetProperty("forward").GetProperty("probs"));
        var actual = network.PredictProbabilities(x);
        for (var i = 0; i < expected.Length; i++)
        {
            for (var c = 0; c < 2; c++)
            {
                Assert.Equal(expected[i][c], actual[i, c], 1e-6);
            }
        }
    }

    [Fact]
    public void CalculateLoss_should_match_the_original_data_loss_and_L2_term()
    {
        var (x, y) = GoldenData();
        var loss = Golden.GetProperty("loss");
        Assert.Equal(loss.GetProperty("data_loss_on_logits").GetDouble(), GoldenNetwork(0).CalculateLoss(x, y), 1e-6);
        Assert.Equal(loss.GetProperty("sum_sq_weights").GetDouble(), GoldenNetwork(0).SumOfSquaredWeights(), 1e-6);
        Assert.Equal(loss.GetProperty("loss_reg0.01").GetDouble(), GoldenNetwork(0.01).CalculateLoss(x, y), 1e-6);
    }

    [Fact]
    public void Gradient_should_match_the_true_mean_loss_gradient_without_L2()
    {
        var gradient = MeanGradient(GoldenNetwork(0));
        AssertGradient(gradient, Golden.GetProperty("grads_true_mean").GetProperty("reg0"), weightExtra: null);
    }

    [Fact]
    public void Gradient_should_add_twice_lambda_W_when_L2_is_on()
    {
        var network = GoldenNetwork(0.01);
        var gradient = MeanGradient(network);
        AssertGradient(gradient, Golden.GetProperty("grads_true_mean").GetProperty("reg0"), weightExtra: (l, i) => 2 * 0.01 * network.Layout.Weights((ReadOnlySpan<float>)network.Parameters, l)[i]);
    }

    [Fact]
    public void Evaluate_should_predict_argmax_of_the_real_probabilities()
    {
        var (x, y) = GoldenData();
        var probs = GoldenFiles.Matrix(Golden.GetProperty("forward").GetProperty("probs"));
        var expected = probs.Select(p => p[1] > p[0] ? 1 : 0).ToArray();
        var (accuracy, predictions) = GoldenNetwork(0).Evaluate(x, y);
        Assert.Equal(expected, predictions);
        Assert.Equal(expected.Zip(y).Count(t => t.First == t.Second) / 5.0, accuracy, 12);
    }

    internal static float[] MeanGradient(NeuralNetwork network)
    {
        var (x, y) = GoldenData();
        var replica = new ModelReplica(network.Architecture, network.Backend, 5);
        var gradient = new float[network.Layout.TotalCount];
        replica.ComputeGradientSum(network.Parameters, x, y, [0, 1, 2, 3, 4], default, gradient);
        network.FinishGradient(gradient, 5);
        return gradient;
    }

    private static void AssertGradient(float[] gradient, JsonElement expected, Func<int, int, double>? weightExtra)
    {
        var layout = new ParameterLayout([4, 3, 2]);
        var dw = expected.GetProperty("dW").EnumerateArray().ToArray();
        var db = expected.GetProperty("db").EnumerateArray().ToArray();
        for (var l = 0; l < 2; l++)
        {
            var w = GoldenFiles.Matrix(dw[l]).SelectMany(r => r).ToArray();
            var actual = layout.Weights((ReadOnlySpan<float>)gradient, l).ToArray();
            for (var i = 0; i < w.Length; i++)
            {
                Assert.Equal(w[i] + (weightExtra?.Invoke(l, i) ?? 0), actual[i], 1e-6);
            }

            var b = GoldenFiles.Matrix(db[l])[0];
            var actualBias = layout.Bias((ReadOnlySpan<float>)gradient, l).ToArray();
            for (var i = 0; i < b.Length; i++)
            {
                Assert.Equal(b[i], actualBias[i], 1e-6);
            }
        }
    }
}

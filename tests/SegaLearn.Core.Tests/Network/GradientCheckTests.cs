using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Network;

/// <summary>
/// Central finite differences of the reported loss (mean data loss + reg_lambda·ΣW²) against the analytic
/// gradient, for every hidden activation × output activation × loss (regression losses on two outputs, so the mean
/// over outputs is checked too), with dropout off and L2 on. Where the two one-sided differences disagree the step
/// straddles a ReLU kink (or MAE's kink at e = 0, Huber's second-derivative step at |e| = δ), and that parameter is
/// not comparable.
/// </summary>
public sealed class GradientCheckTests
{
    public static TheoryData<string, string, string> Combinations()
    {
        var data = new TheoryData<string, string, string>();
        string[] hidden = ["relu", "leaky_relu", "tanh", "sigmoid", "softmax", "linear"];
        foreach (var h in hidden)
        {
            foreach (var output in new[] { "softmax", "sigmoid", "tanh", "linear", "relu", "leaky_relu:0.2" })
            {
                data.Add(h, output, "cross-entropy");
            }

            foreach (var output in new[] { "sigmoid", "linear", "tanh" })
            {
                data.Add(h, output, "bce");
            }

            foreach (var loss in new[] { "mse", "mae", "huber", "huber:0.3" })
            {
                data.Add(h, "linear", loss);
                data.Add(h, "tanh", loss);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Gradient_should_match_finite_differences_for_every_activation_and_loss(string hidden, string output, string loss)
    {
        var lossKind = NetworkArchitecture.ParseLoss(loss, out var huberDelta);
        var outputs = lossKind == LossKind.CrossEntropy ? 3 : NetworkArchitecture.IsRegressionLoss(lossKind) ? 2 : 1;
        var network = new NeuralNetwork(
            [4, 5, 4, outputs],
            dropoutRate: 0,
            regLambda: 0.05,
            activations: [Activation.Parse(hidden), Activation.Parse(hidden), Activation.Parse(output)],
            loss: lossKind,
            seed: 7,
            backend: new ReferenceBackend(),
            huberDelta: huberDelta);
        var random = new DeterministicRandom(99);
        var rows = 6;
        var x = new float[rows * 4];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        var y = network.Architecture.IsRegression
            ? Targets.FromValues([.. Enumerable.Range(0, rows * outputs).Select(_ => (float)random.NextGaussian())], outputs)
            : Targets.FromClasses([.. Enumerable.Range(0, rows).Select(i => i % network.Architecture.ClassCount)]);
        var features = new DenseFeatures(x, rows, 4);
        var analytic = new float[network.Layout.TotalCount];
        new ModelReplica(network.Architecture, network.Backend, rows)
            .ComputeGradientSum(network.Parameters, features, y, Enumerable.Range(0, rows).ToArray(), default, analytic);
        network.FinishGradient(analytic, rows);

        var parameters = network.Parameters;
        var worst = 0.0;
        var kinks = 0;
        var center = network.CalculateLoss(features, y);
        for (var i = 0; i < parameters.Length; i++)
        {
            var original = parameters[i];
            const float h = 2e-3f;
            parameters[i] = original + h;
            var plus = network.CalculateLoss(features, y);
            parameters[i] = original - h;
            var minus = network.CalculateLoss(features, y);
            parameters[i] = original;
            var forward = (plus - center) / h;
            var backward = (center - minus) / h;
            if (Math.Abs(forward - backward) > 0.05 * Math.Max(1e-2, Math.Abs(forward) + Math.Abs(backward)))
            {
                kinks++;
                continue;
            }

            var numeric = (plus - minus) / (2 * h);
            var error = Math.Abs(numeric - analytic[i]) / Math.Max(1.0, Math.Abs(numeric) + Math.Abs(analytic[i]));
            worst = Math.Max(worst, error);
        }

        Assert.True(kinks <= parameters.Length / 5, $"{kinks} of {parameters.Length} parameters straddle a kink");
        Assert.True(worst < 1e-3, $"largest relative gradient error {worst:E3}");
    }
}

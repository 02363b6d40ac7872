using SegaLearn.Compute;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Optimizers;

/// <summary>
/// Several steps of each optimizer with weight decay, against the seed's formulas written out in double here
/// (weights decay, biases do not; state carries over between steps).
/// </summary>
public sealed class OptimizerFormulaTests
{
    private static readonly ParameterLayout Layout = new([2, 2]);

    private static readonly float[][] Gradients =
    [
        [0.5f, -0.25f, 0.1f, 2.0f, -0.3f, 0.05f],
        [0.4f, -0.5f, 0.0f, 1.0f, 0.2f, -0.1f],
        [-0.2f, 0.3f, 0.7f, -1.5f, 0.1f, 0.4f],
    ];

    private static readonly float[] Start = [0.3f, -0.7f, 1.2f, 0.05f, 0.1f, -0.2f];

    private static bool IsWeight(int i) => i < Layout.WeightCount(0);

    [Fact]
    public void Adam_should_follow_the_formula_over_several_steps_with_decay()
    {
        const double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-7, lambda = 0.1;
        var expected = Start.Select(v => (double)v).ToArray();
        var m = new double[6];
        var v = new double[6];
        for (var t = 1; t <= 3; t++)
        {
            for (var i = 0; i < 6; i++)
            {
                double g = Gradients[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                var mHat = m[i] / (1 - Math.Pow(b1, t));
                var vHat = v[i] / (1 - Math.Pow(b2, t));
                expected[i] -= lr * (mHat / (Math.Sqrt(vHat) + eps) + (IsWeight(i) ? lambda : 0) * expected[i]);
            }
        }

        AssertSteps(new AdamOptimizer(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, regLambda: lambda), expected);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.0)]
    public void Sgd_should_follow_the_formula_over_several_steps_with_momentum_and_decay(double momentum)
    {
        const double lr = 0.05, lambda = 0.2;
        var expected = Start.Select(v => (double)v).ToArray();
        var velocity = new double[6];
        for (var t = 0; t < 3; t++)
        {
            for (var i = 0; i < 6; i++)
            {
                velocity[i] = momentum * velocity[i] - lr * Gradients[t][i];
                expected[i] += velocity[i] - lr * (IsWeight(i) ? lambda : 0) * expected[i];
            }
        }

        AssertSteps(new SgdOptimizer(learningRate: lr, momentum: momentum, regLambda: lambda), expected);
    }

    [Fact]
    public void Adadelta_should_follow_the_formula_over_several_steps_with_decay()
    {
        const double lr = 0.5, rho = 0.9, eps = 1e-6, lambda = 0.1;
        var expected = Start.Select(v => (double)v).ToArray();
        var eg = new double[6];
        var edx = new double[6];
        for (var t = 0; t < 3; t++)
        {
            for (var i = 0; i < 6; i++)
            {
                double g = Gradients[t][i];
                eg[i] = rho * eg[i] + (1 - rho) * g * g;
                var dx = -Math.Sqrt(edx[i] + eps) / Math.Sqrt(eg[i] + eps) * g;
                edx[i] = rho * edx[i] + (1 - rho) * dx * dx;
                expected[i] += lr * dx - lr * (IsWeight(i) ? lambda : 0) * expected[i];
            }
        }

        AssertSteps(new AdadeltaOptimizer(learningRate: lr, rho: rho, epsilon: eps, regLambda: lambda), expected);
    }

    [Theory]
    [InlineData("reference", "adam")]
    [InlineData("reference", "sgd")]
    [InlineData("reference", "adadelta")]
    [InlineData("simd", "adam")]
    [InlineData("simd", "sgd")]
    [InlineData("simd", "adadelta")]
    public void Step_from_a_gradient_sum_should_give_the_bits_of_finishing_the_gradient_first(string backendName, string optimizerName)
    {
        IComputeBackend backend = backendName == "simd" ? new SimdBackend(threads: 2) : new ReferenceBackend();
        const int samples = 37;
        const double lambda = 0.03;
        var network = new NeuralNetwork([300, 130, 3], regLambda: lambda, seed: 5, backend: backend);
        Optimizer Create() => optimizerName switch
        {
            "adam" => new AdamOptimizer(regLambda: lambda),
            "sgd" => new SgdOptimizer(0.05, momentum: 0.9, regLambda: lambda),
            _ => new AdadeltaOptimizer(regLambda: lambda),
        };

        var (separate, fused) = (Create(), Create());
        var expected = network.Parameters.ToArray();
        var actual = network.Parameters.ToArray();
        var random = new Random(9);
        for (var step = 0; step < 3; step++)
        {
            var sum = Enumerable.Range(0, expected.Length).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
            expected.CopyTo(network.Parameters);
            // FinishGradient adds the L2 term of the network's own parameters: keep them at the expected ones.
            var finished = (float[])sum.Clone();
            network.FinishGradient(finished, samples);
            separate.Step(backend, network.Layout, expected, finished);
            fused.Step(backend, network.Layout, actual, sum, 1f / samples, (float)(2 * lambda));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Constructors_should_name_the_argument_when_it_is_out_of_range()
    {
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(learningRate: 0)).ParamName);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(beta1: 1.0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(epsilon: -1)).ParamName);
        Assert.Equal("regLambda", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer(regLambda: double.NaN)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer(momentum: -0.1)).ParamName);
        Assert.Equal("rho", Assert.Throws<ArgumentOutOfRangeException>(() => new AdadeltaOptimizer(rho: 1.5)).ParamName);
    }

    [Fact]
    public void Step_should_reject_buffers_that_do_not_fit_the_layout()
    {
        var optimizer = new SgdOptimizer();
        Assert.Throws<ArgumentException>(() => optimizer.Step(new ReferenceBackend(), Layout, new float[6], new float[5]));
    }

    private static void AssertSteps(Optimizer optimizer, double[] expected)
    {
        var parameters = (float[])Start.Clone();
        foreach (var g in Gradients)
        {
            optimizer.Step(new ReferenceBackend(), Layout, parameters, g);
        }

        Assert.Equal(3, optimizer.StepCount);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], parameters[i], 1e-5);
        }
    }

    [Fact]
    public void Step_should_write_every_new_parameter_to_the_mirror_when_given_one()
    {
        var backend = new ReferenceBackend();
        var (plain, mirrored, mirror) = ((float[])Start.Clone(), (float[])Start.Clone(), new float[Start.Length]);
        var (first, second) = (new AdamOptimizer(0.01, regLambda: 0.1), new AdamOptimizer(0.01, regLambda: 0.1));
        foreach (var gradient in Gradients)
        {
            Array.Fill(mirror, float.NaN);
            first.Step(backend, Layout, plain, gradient, 0.5f, 0.2f);
            second.Step(backend, Layout, mirrored, gradient, 0.5f, 0.2f, mirror);
            Assert.Equal(plain, mirrored);
            Assert.Equal(plain, mirror);
        }

        Assert.Throws<ArgumentException>(() => first.Step(backend, Layout, plain, Gradients[0], 1f, 0f, new float[Start.Length - 1]));
    }
}

using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// The oracle itself, against values worked out by hand on small cases and against the formulas evaluated naively in
/// double on larger random ones: every accelerated backend is tested against <see cref="ReferenceBackend"/>, so it
/// must be right on its own.
/// </summary>
public sealed class ReferenceBackendTests
{
    private static readonly ReferenceBackend Backend = new();

    // A = [[1, 2, 3], [4, 5, 6]], B = [[7, 8], [9, 10], [11, 12]]: A·B = [[58, 64], [139, 154]].
    private static readonly float[] A = [1, 2, 3, 4, 5, 6];
    private static readonly float[] ATransposed = [1, 4, 2, 5, 3, 6];
    private static readonly float[] B = [7, 8, 9, 10, 11, 12];
    private static readonly float[] BTransposed = [7, 9, 11, 8, 10, 12];
    private static readonly float[] Product = [58, 64, 139, 154];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Gemm_should_give_the_hand_computed_product_when_either_side_is_stored_transposed(bool transposeA, bool transposeB)
    {
        var c = new[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Backend.Gemm(transposeA, transposeB, 2, 2, 3, transposeA ? ATransposed : A, transposeB ? BTransposed : B, c, 0f);
        Assert.Equal(Product, c);

        float[] accumulated = [1, -1, 0.5f, 100];
        Backend.Gemm(transposeA, transposeB, 2, 2, 3, transposeA ? ATransposed : A, transposeB ? BTransposed : B, accumulated, 1f);
        Assert.Equal([59f, 63f, 139.5f, 254f], accumulated);
    }

    [Fact]
    public void Gemm_should_clear_C_for_an_empty_depth_with_beta_0_and_keep_it_with_beta_1()
    {
        var cleared = new[] { float.NaN, 3f, 4f, 5f, 6f, 7f };
        Backend.Gemm(false, false, 2, 3, 0, [], [], cleared, 0f);
        Assert.Equal(new float[6], cleared);

        float[] kept = [2f, 3f, 4f, 5f, 6f, 7f];
        Backend.Gemm(false, false, 2, 3, 0, [], [], kept, 1f);
        Assert.Equal([2f, 3f, 4f, 5f, 6f, 7f], kept);

        float[] untouched = [9f];
        Backend.Gemm(false, false, 0, 1, 4, [], [1f, 2f, 3f, 4f], untouched, 0f);
        Backend.Gemm(false, false, 1, 0, 4, [1f, 2f, 3f, 4f], [], untouched, 0f);
        Assert.Equal([9f], untouched);
    }

    [Theory]
    [InlineData(37, 19, 53)]
    [InlineData(1, 64, 300)]
    [InlineData(65, 1, 7)]
    public void Gemm_should_match_the_naive_double_product_within_float_rounding(int m, int n, int k)
    {
        var a = TestVectors.Uniform(m * k, 1);
        var b = TestVectors.Uniform(k * n, 2);
        var c = new float[m * n];
        Backend.Gemm(false, false, m, n, k, a, b, c, 0f);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    sum += (double)a[i * k + p] * b[p * n + j];
                    magnitude += Math.Abs((double)a[i * k + p] * b[p * n + j]);
                }

                Assert.True(Math.Abs(sum - c[i * n + j]) <= (k + 1) * Math.Pow(2, -23) * magnitude, $"C[{i},{j}] = {c[i * n + j]}, naive {sum}");
            }
        }
    }

    [Fact]
    public void LinearForward_should_add_the_bias_to_the_product_and_apply_the_activation()
    {
        var (z, output) = (new float[4], new float[4]);
        Backend.LinearForward(2, 2, 3, A, B, [-60f, 0.5f], z, output, Activation.ReLU);
        Assert.Equal([-2f, 64.5f, 79f, 154.5f], z);
        Assert.Equal([0f, 64.5f, 79f, 154.5f], output);
    }

    public static TheoryData<ActivationKind, float[]> ActivationValues => new()
    {
        // z + bias for z = [-2, -0.5, 0, 1.5] per row: bias [0.5, -0.5] gives rows [-1.5, -1] and [0.5, 1].
        { ActivationKind.Linear, [-1.5f, -1f, 0.5f, 1f] },
        { ActivationKind.ReLU, [0f, 0f, 0.5f, 1f] },
        { ActivationKind.LeakyReLU, [-0.3f, -0.2f, 0.5f, 1f] },
        { ActivationKind.Tanh, [(float)Math.Tanh(-1.5), (float)Math.Tanh(-1), (float)Math.Tanh(0.5), (float)Math.Tanh(1)] },
        { ActivationKind.Sigmoid, [(float)(1 / (1 + Math.Exp(1.5))), (float)(1 / (1 + Math.Exp(1))), (float)(1 / (1 + Math.Exp(-0.5))), (float)(1 / (1 + Math.Exp(-1)))] },
        { ActivationKind.Softmax, [(float)(1 / (1 + Math.Exp(0.5))), (float)(1 / (1 + Math.Exp(-0.5))), (float)(1 / (1 + Math.Exp(0.5))), (float)(1 / (1 + Math.Exp(-0.5)))] },
    };

    [Theory]
    [MemberData(nameof(ActivationValues))]
    public void BiasActivation_should_add_the_bias_per_column_and_give_the_hand_computed_activation(ActivationKind kind, float[] expected)
    {
        float[] z = [-2f, -0.5f, 0f, 1.5f];
        var output = new float[4];
        Backend.BiasActivation(z, [0.5f, -0.5f], output, 2, 2, new Activation(kind, 0.2f));
        Assert.Equal([-1.5f, -1f, 0.5f, 1f], z);
        AssertClose(expected, output, 3e-7);
    }

    [Fact]
    public void Softmax_should_not_overflow_when_logits_are_large()
    {
        var output = new float[3];
        Backend.BiasActivation(new float[] { 1000f, 1001f, 1002f }, new float[3], output, 1, 3, Activation.Softmax);
        var sum = 1 + Math.Exp(1) + Math.Exp(2);
        AssertClose([(float)(1 / sum), (float)(Math.Exp(1) / sum), (float)(Math.Exp(2) / sum)], output, 3e-7);
    }

    public static TheoryData<ActivationKind, float[]> Derivatives => new()
    {
        // Gradient 2 at z = [-1, 0, 0.5, 3], times the derivative there; tanh and sigmoid take it from their float
        // outputs a (1 - a², a·(1 - a)), as the interface says, since that is what the forward pass kept.
        { ActivationKind.Linear, [2f, 2f, 2f, 2f] },
        { ActivationKind.ReLU, [0f, 0f, 2f, 2f] },
        { ActivationKind.LeakyReLU, [0.4f, 0.4f, 2f, 2f] },
        { ActivationKind.Tanh, [.. new[] { -1.0, 0, 0.5, 3 }.Select(z => (double)(float)Math.Tanh(z)).Select(a => (float)(2 * (1 - a * a)))] },
        { ActivationKind.Sigmoid, [.. new[] { -1.0, 0, 0.5, 3 }.Select(z => (double)(float)Sigmoid(z)).Select(a => (float)(2 * a * (1 - a)))] },
    };

    [Theory]
    [MemberData(nameof(Derivatives))]
    public void ActivationBackward_should_multiply_by_the_hand_computed_derivative(ActivationKind kind, float[] expected)
    {
        float[] z = [-1f, 0f, 0.5f, 3f];
        var activation = new Activation(kind, 0.2f);
        var output = new float[4];
        Backend.BiasActivation((float[])z.Clone(), new float[2], output, 2, 2, activation);
        float[] gradient = [2f, 2f, 2f, 2f];
        Backend.ActivationBackward(z, output, gradient, 2, 2, activation);

        // 1 - a² and 1 - a are float subtractions near 1 in the kernel: their rounding is absolute, 2⁻²⁴ each.
        AssertClose(expected, gradient, 1e-6, absolute: 2 * 2 * Math.Pow(2, -24));
    }

    [Fact]
    public void Softmax_backward_should_apply_the_full_jacobian_of_each_row()
    {
        // dz_j = Σ_i g_i·∂a_i/∂z_j = a_j·(g_j - Σ_i g_i·a_i), per row.
        float[] output = [0.2f, 0.3f, 0.5f, 0.6f, 0.3f, 0.1f];
        float[] gradient = [1f, -2f, 0.5f, 0f, 4f, -1f];
        var expected = new float[6];
        for (var row = 0; row < 2; row++)
        {
            var dot = Enumerable.Range(0, 3).Sum(j => (double)gradient[row * 3 + j] * output[row * 3 + j]);
            for (var j = 0; j < 3; j++)
            {
                expected[row * 3 + j] = (float)(output[row * 3 + j] * (gradient[row * 3 + j] - dot));
            }
        }

        Backend.ActivationBackward(new float[6], output, gradient, 2, 3, Activation.Softmax);
        AssertClose(expected, gradient, 3e-7);
    }

    [Fact]
    public void SoftmaxCrossEntropy_should_give_the_hand_computed_loss_probabilities_and_gradient()
    {
        float[] logits = [1f, 2f, 3f, 0f, 0f, 0f];
        var (probabilities, gradient) = (new float[6], new float[6]);
        var loss = Backend.SoftmaxCrossEntropy(logits, [2, 0], probabilities, gradient, 2, 3);

        var sum = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        double[] p = [Math.Exp(1) / sum, Math.Exp(2) / sum, Math.Exp(3) / sum, 1 / 3.0, 1 / 3.0, 1 / 3.0];
        Assert.Equal(-Math.Log(p[2]) - Math.Log(1 / 3.0), loss, 1e-6);
        AssertClose([.. p.Select(v => (float)v)], probabilities, 3e-7);
        AssertClose([(float)p[0], (float)p[1], (float)(p[2] - 1), (float)(p[3] - 1), (float)p[4], (float)p[5]], gradient, 1e-6);
    }

    [Fact]
    public void SigmoidBinaryCrossEntropy_should_give_the_hand_computed_loss_probabilities_and_gradient()
    {
        float[] logits = [0f, -3f, 2f, 40f];
        int[] labels = [1, 1, 0, 0];
        var (probabilities, gradient) = (new float[4], new float[4]);
        var loss = Backend.SigmoidBinaryCrossEntropy(logits, labels, probabilities, gradient, 4);

        // σ(40) is 1 in double, so the last row's loss is -log(1e-15), the seed's epsilon: 34.5388.
        var expected = Math.Log(2) - Math.Log(Sigmoid(-3)) - Math.Log(1 - Sigmoid(2)) - Math.Log(1e-15);
        Assert.Equal(expected, loss, 1e-9);
        AssertClose([0.5f, (float)Sigmoid(-3), (float)Sigmoid(2), 1f], probabilities, 3e-7);
        AssertClose([-0.5f, (float)(Sigmoid(-3) - 1), (float)Sigmoid(2), 1f], gradient, 3e-7);
    }

    [Fact]
    public void ColumnSums_should_sum_each_column_over_the_rows()
    {
        var sums = new[] { float.NaN, float.NaN };
        Backend.ColumnSums([1f, 2f, 3f, 4f, 5f, 6f], 3, 2, sums);
        Assert.Equal([9f, 12f], sums);
        Backend.ColumnSums([], 0, 2, sums);
        Assert.Equal([0f, 0f], sums);
    }

    [Fact]
    public void Elementwise_kernels_should_give_the_hand_computed_values()
    {
        float[] x = [1f, -2f, 3f];
        Backend.Multiply(x, [2f, 0.5f, -1f]);
        Assert.Equal([2f, -1f, -3f], x);
        Backend.Scale(x, 0.5f);
        Assert.Equal([1f, -0.5f, -1.5f], x);
        Backend.Add(x, [1f, 1f, 1f]);
        Assert.Equal([2f, 0.5f, -0.5f], x);
        var sum = new float[3];
        Backend.Add(x, [0.25f, 0.5f, 4f], sum);
        Assert.Equal([2.25f, 1f, 3.5f], sum);
        Backend.ScaleAdd(x, 3f, [1f, 2f, 4f], -0.5f);
        Assert.Equal([5.5f, 0.5f, -3.5f], x);
        Assert.Equal(5.5 * 5.5 + 0.25 + 3.5 * 3.5, Backend.SumOfSquares(x));
    }

    [Fact]
    public void Sums_and_outputs_should_flush_denormal_results_to_positive_zero()
    {
        // 3e-38 - 2.5e-38 = 5e-39, a denormal; -1e-38 is one too.
        var sum = new float[2];
        Backend.Add([3e-38f, 1f], [-2.5e-38f, 1f], sum);
        AssertPositiveZero(sum[0], "Add into a destination");
        float[] inPlace = [3e-38f, -2.5e-38f];
        Backend.Add(inPlace, [-2.5e-38f, 1.5e-38f]);
        AssertPositiveZero(inPlace[0], "Add in place");
        AssertPositiveZero(inPlace[1], "Add in place, negative");
        var columns = new float[1];
        Backend.ColumnSums([3e-38f, -2.5e-38f], 2, 1, columns);
        AssertPositiveZero(columns[0], "ColumnSums");

        var output = new float[1];
        Backend.BiasActivation(new float[] { 3e-38f }, [-2.5e-38f], output, 1, 1, Activation.Linear);
        AssertPositiveZero(output[0], "linear output");
        Backend.BiasActivation(new float[] { -1e-36f }, [0f], output, 1, 1, Activation.LeakyReLU(0.01f));
        AssertPositiveZero(output[0], "leaky ReLU output");
        float[] gradient = [1e-39f];
        Backend.ActivationBackward([1f], [1f], gradient, 1, 1, Activation.Linear);
        AssertPositiveZero(gradient[0], "linear backward");
        var (probabilities, lossGradient) = (new float[2], new float[2]);
        Backend.SoftmaxCrossEntropy([0f, -100f], [0], probabilities, lossGradient, 1, 2);
        Assert.Equal([1f, 0f], probabilities);
        float[] softmaxGradient = [1e-10f, 0f];
        Backend.ActivationBackward(new float[2], [1e-30f, 1f], softmaxGradient, 1, 2, Activation.Softmax);
        AssertPositiveZero(softmaxGradient[0], "softmax backward");
    }

    [Fact]
    public void Updates_should_write_the_new_weights_to_a_mirror_of_the_right_length_only()
    {
        foreach (var update in new Action<float[], float[]>[]
        {
            (w, mirror) => Backend.SgdUpdate(w, [1f, -2f], new float[2], 0.5f, 0.9f, 0f, GradientTransform.Identity, mirror),
            (w, mirror) => Backend.AdadeltaUpdate(w, [1f, -2f], new float[2], new float[2], 1f, 0.9f, 1e-6f, 0f, GradientTransform.Identity, mirror),
            (w, mirror) => Backend.AdamUpdate(w, [1f, -2f], new float[2], new float[2], new AdamStep(0.1f, 0.9f, 0.999f, 1e-8f, 0f, 0.1f, 0.001f), GradientTransform.Identity, mirror),
        })
        {
            float[] w = [1f, 1f];
            var mirror = new[] { float.NaN, float.NaN };
            update(w, mirror);
            Assert.NotEqual([1f, 1f], w);
            Assert.Equal(w, mirror);
            Assert.Throws<ArgumentException>(() => update([1f, 1f], new float[3]));
        }
    }

    [Fact]
    public void Sgd_without_momentum_should_apply_a_step_too_small_to_be_a_normal_float()
    {
        // lr·g = 0.5·1.5e-38 = 7.5e-39 is denormal on its own, yet moves w = 2e-38 to the normal 1.25e-38.
        float[] w = [2e-38f];
        Backend.SgdUpdate(w, [1.5e-38f], new float[1], 0.5f, 0f, 0f, GradientTransform.Identity);
        Assert.Equal(2e-38f - 0.5f * 1.5e-38f, w[0]);
    }

    [Fact]
    public void Backend_should_call_itself_reference()
    {
        Assert.Equal("reference", Backend.Name);
        Assert.StartsWith("reference (", Backend.Describe(), StringComparison.Ordinal);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static void AssertPositiveZero(float value, string what) =>
        Assert.True(value == 0f && !float.IsNegative(value), $"{what}: {value}, expected +0");

    private static void AssertClose(float[] expected, float[] actual, double relative, double absolute = 1e-30)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]) + absolute, $"element {i}: {actual[i]}, expected {expected[i]}");
        }
    }
}

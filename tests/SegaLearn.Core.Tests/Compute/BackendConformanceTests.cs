using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// Every kernel of a backend against <see cref="ReferenceBackend"/>, the oracle. Tolerances: a GEMM element may
/// differ by 2·(k+1)·2⁻²³ of Σ_p |a_ip·b_pj| (+|c_ij| for beta 1), twice the worst-case rounding bound of a
/// float dot product summed in any order, since both sides round; element-wise kernels and transcendental
/// activations by 1e-5 relative (1e-6 absolute); losses, which the interface fixes in double, by 1e-9 relative for
/// BCE and 1e-5 for cross-entropy (float softmax); SGD and Adadelta updates must be bitwise equal, since they are
/// the reference's float operations in the reference's order, and Adam (one division instead of three) within
/// 1e-5 relative.
/// </summary>
public abstract class BackendConformanceTests
{
    private static readonly int[] Sizes = [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 127, 129];

    private static readonly AdamStep UpdateStep = new(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.19f, 0.001999f);

    private static readonly ReferenceBackend Reference = new();

    /// <summary>The backend under test, or null when this machine cannot run it (then every test passes vacuously).</summary>
    protected abstract IComputeBackend? CreateBackend();

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    public static TheoryData<ActivationKind> Kinds =>
        new() { ActivationKind.Linear, ActivationKind.ReLU, ActivationKind.LeakyReLU, ActivationKind.Tanh, ActivationKind.Sigmoid, ActivationKind.Softmax };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Gemm_should_match_the_reference_when_shapes_are_odd_or_even(bool transposeA, bool transposeB)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var s in Sizes)
        {
            foreach (var (m, n, k) in new[] { (s, s, s), (s, 7, 65), (17, s, 31), (63, 9, s), (s, 33, 300) })
            {
                CheckGemm(backend, transposeA, transposeB, m, n, k);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Gemm_should_match_the_reference_when_matrices_span_several_blocks(bool transposeA, bool transposeB)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        CheckGemm(backend, transposeA, transposeB, 300, 257, 130);
        CheckGemm(backend, transposeA, transposeB, 131, 2100, 40);

        // Narrow outputs (a classifier's 10 classes), long enough to be split over threads.
        CheckGemm(backend, transposeA, transposeB, 2999, 10, 400);
        CheckGemm(backend, transposeA, transposeB, 1000, 16, 700);
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Gemm_should_match_the_reference_when_A_is_mostly_zero_in_blocks(bool transposeA, bool transposeB)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        // Zero runs along both of A's axes, as image pixels and ReLU outputs have, including -0 and whole zero
        // rows, so packed panels drop some, all or none of their depth indices.
        foreach (var (m, n, k) in new[] { (128, 40, 784), (784, 40, 128), (61, 33, 300), (12, 17, 9) })
        {
            var a = TestVectors.Uniform(m * k, m + k);
            var zeros = new Random(m * 7 + k);
            for (var i = 0; i < a.Length; i++)
            {
                var (row, column) = (i / k, i % k);
                if (row % 5 == 0 || (column / 6 + row / 6) % 3 == 0 || zeros.NextDouble() < 0.3)
                {
                    a[i] = zeros.NextDouble() < 0.5 ? 0f : -0f;
                }
            }

            CheckGemm(backend, transposeA, transposeB, m, n, k, a);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LinearForward_should_give_the_bits_of_gemm_then_bias_activation(ActivationKind kind)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        var activation = new Activation(kind, 0.05f);

        // Small (unpacked), packed, several tasks, and k in two groups with two column blocks.
        foreach (var (m, n, k) in new[] { (5, 7, 3), (17, 33, 65), (128, 256, 300), (60, 2100, 1200), (9, 4, 0) })
        {
            var x = TestVectors.Uniform(m * k, m + 3 * k);
            var w = TestVectors.Uniform(k * n, n + k);
            var bias = TestVectors.Uniform(n, n);
            var (z, output) = (new float[m * n], new float[m * n]);
            backend.Gemm(false, false, m, n, k, x, w, z, 0f);
            backend.BiasActivation(z, bias, output, m, n, activation);
            var (fusedZ, fusedOutput) = (Enumerable.Repeat(float.NaN, m * n).ToArray(), new float[m * n]);
            backend.LinearForward(m, n, k, x, w, bias, fusedZ, fusedOutput, activation);
            Assert.Equal(z, fusedZ);
            Assert.Equal(output, fusedOutput);
        }
    }

    [Fact]
    public void LinearForward_should_give_the_same_bits_in_any_row_order()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        // Rows with zero runs in different places, so that grouping them differently drops different columns.
        foreach (var (m, n, k) in new[] { (128, 256, 784), (61, 40, 300), (7, 33, 20) })
        {
            var x = TestVectors.Uniform(m * k, m + k);
            var shuffle = new Random(m);
            for (var row = 0; row < m; row++)
            {
                var (start, length) = (shuffle.Next(k), shuffle.Next(k / 2));
                x.AsSpan(row * k + start, Math.Min(length, k - start)).Clear();
                x.AsSpan(row * k, shuffle.Next(k / 3)).Clear();
            }

            var w = TestVectors.Uniform(k * n, n + k);
            var bias = TestVectors.Uniform(n, n);
            var (z, output) = (new float[m * n], new float[m * n]);
            backend.LinearForward(m, n, k, x, w, bias, z, output, Activation.ReLU);
            foreach (var order in new[] { Enumerable.Range(0, m).Reverse().ToArray(), Enumerable.Range(0, m).OrderBy(_ => shuffle.Next()).ToArray() })
            {
                var (orderedZ, orderedOutput) = (Enumerable.Repeat(float.NaN, m * n).ToArray(), Enumerable.Repeat(float.NaN, m * n).ToArray());
                backend.LinearForward(m, n, k, x, w, bias, orderedZ, orderedOutput, Activation.ReLU, order);
                Assert.Equal(z, orderedZ);
                Assert.Equal(output, orderedOutput);
            }
        }
    }

    [Fact]
    public void Gemm_should_ignore_NaN_in_C_when_beta_is_0()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var (m, n, k) in new[] { (3, 5, 2), (70, 40, 90), (5, 5, 0) })
        {
            var a = TestVectors.Uniform(m * k, 1);
            var b = TestVectors.Uniform(k * n, 2);
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            backend.Gemm(false, false, m, n, k, a, b, c, 0f);
            Assert.All(c, value => Assert.False(float.IsNaN(value)));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void BiasActivation_should_match_the_reference_for_every_activation(ActivationKind kind)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        var activation = new Activation(kind, 0.1f);
        foreach (var cols in Sizes.Where(c => c > 0))
        {
            const int rows = 5;
            var z = TestVectors.Uniform(rows * cols, cols, scale: 6);
            var bias = TestVectors.Uniform(cols, cols + 1);
            var (expectedZ, actualZ) = ((float[])z.Clone(), (float[])z.Clone());
            var (expected, actual) = (new float[rows * cols], new float[rows * cols]);
            Reference.BiasActivation(expectedZ, bias, expected, rows, cols, activation);
            backend.BiasActivation(actualZ, bias, actual, rows, cols, activation);
            AssertClose(expectedZ, actualZ, 1e-6);
            AssertClose(expected, actual, 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ActivationBackward_should_match_the_reference_for_every_activation(ActivationKind kind)
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        var activation = new Activation(kind, 0.1f);
        foreach (var cols in Sizes.Where(c => c > 0))
        {
            const int rows = 4;
            var z = TestVectors.Uniform(rows * cols, cols, scale: 4);
            var output = new float[rows * cols];
            Reference.BiasActivation((float[])z.Clone(), new float[cols], output, rows, cols, activation);
            var gradient = TestVectors.Uniform(rows * cols, cols + 7);
            var (expected, actual) = ((float[])gradient.Clone(), (float[])gradient.Clone());
            Reference.ActivationBackward(z, output, expected, rows, cols, activation);
            backend.ActivationBackward(z, output, actual, rows, cols, activation);
            AssertClose(expected, actual, 1e-5);
        }
    }

    [Fact]
    public void SoftmaxCrossEntropy_should_match_the_reference()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var cols in Sizes.Where(c => c > 1))
        {
            const int rows = 9;
            var logits = TestVectors.Uniform(rows * cols, cols, scale: 30);
            var labels = Enumerable.Range(0, rows).Select(i => i * 7 % cols).ToArray();
            var (p1, g1, p2, g2) = (new float[rows * cols], new float[rows * cols], new float[rows * cols], new float[rows * cols]);
            var expected = Reference.SoftmaxCrossEntropy(logits, labels, p1, g1, rows, cols);
            var actual = backend.SoftmaxCrossEntropy(logits, labels, p2, g2, rows, cols);
            Assert.Equal(expected, actual, Math.Abs(expected) * 1e-5 + 1e-6);
            AssertClose(p1, p2, 1e-5);
            AssertClose(g1, g2, 1e-5);
        }
    }

    [Fact]
    public void SigmoidBinaryCrossEntropy_should_match_the_reference_including_saturated_logits()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        float[] logits = [40f, -40f, 0f, 3.5f, -2.25f, 17f, -100f, 1e-3f];
        int[] labels = [0, 1, 1, 0, 1, 1, 0, 1];
        var (p1, g1, p2, g2) = (new float[8], new float[8], new float[8], new float[8]);
        var expected = Reference.SigmoidBinaryCrossEntropy(logits, labels, p1, g1, 8);
        var actual = backend.SigmoidBinaryCrossEntropy(logits, labels, p2, g2, 8);
        Assert.Equal(expected, actual, Math.Abs(expected) * 1e-9);
        Assert.Equal(34.5388, backend.SigmoidBinaryCrossEntropy([40f], [0], new float[1], new float[1], 1), 4);
        Assert.Equal(p1, p2);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void ColumnSums_should_match_the_reference()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var rows in Sizes)
        {
            foreach (var cols in new[] { 1, 7, 16, 33 })
            {
                var x = TestVectors.Uniform(rows * cols, rows + cols);
                var (expected, actual) = (new float[cols], Enumerable.Repeat(float.NaN, cols).ToArray());
                Reference.ColumnSums(x, rows, cols, expected);
                backend.ColumnSums(x, rows, cols, actual);
                AssertClose(expected, actual, 1e-5, absolute: 1e-5);
            }
        }
    }

    [Fact]
    public void Elementwise_kernels_should_match_the_reference()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var length in Sizes)
        {
            var x = TestVectors.Uniform(length, length);
            var y = TestVectors.Uniform(length, length + 100);
            Compare(x, e => Reference.Multiply(e, y), a => backend.Multiply(a, y));
            Compare(x, e => Reference.Scale(e, 0.37f), a => backend.Scale(a, 0.37f));
            Compare(x, e => Reference.Add(e, y), a => backend.Add(a, y));
            Compare(x, e => Reference.Add(x, y, e), a => backend.Add(x, y, a));
            Compare(x, e => Reference.ScaleAdd(e, 0.25f, y, -0.02f), a => backend.ScaleAdd(a, 0.25f, y, -0.02f));
            CompareBits(x, e => Reference.AddBFloat16(x, y, e), a => backend.AddBFloat16(x, y, a));
            CompareBits(x, e => Reference.AddBFloat16(e, y, e), a => backend.AddBFloat16(a, y, a));
            CompareBits(x, e => Reference.RoundToBFloat16(x, e), a => backend.RoundToBFloat16(x, a));
            var expected = Reference.SumOfSquares(x);
            Assert.Equal(expected, backend.SumOfSquares(x), expected * 1e-12);
        }
    }

    [Fact]
    public void Optimizer_updates_should_match_the_reference()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var length in Sizes.Append(100_003))
        {
            var g = TestVectors.Uniform(length, length + 3);
            var states = new[] { Positive(length, length + 4, scale: 0.1f), Positive(length, length + 5, scale: 0.01f) };
            var w = TestVectors.Uniform(length, length + 6);
            foreach (var transform in new[] { GradientTransform.Identity, new GradientTransform(0.25f, 0.02f) })
            {
                CompareUpdate(w, states, (r, x) => r.AdamUpdate(x[0], g, x[1], x[2], UpdateStep, transform), backend, relative: 1e-5);
                CompareUpdate(w, states, (r, x) => r.SgdUpdate(x[0], g, x[1], 0.05f, 0.9f, 0.01f, transform), backend);
                CompareUpdate(w, states, (r, x) => r.SgdUpdate(x[0], g, x[1], 0.05f, 0f, 0.01f, transform), backend);
                CompareUpdate(w, states, (r, x) => r.AdadeltaUpdate(x[0], g, x[1], x[2], 1.0f, 0.95f, 1e-6f, 0.01f, transform), backend);
            }
        }
    }

    [Fact]
    public void Optimizer_updates_should_write_their_new_weights_to_the_mirror_too_when_given_one()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        foreach (var length in Sizes.Append(100_003))
        {
            var g = TestVectors.Uniform(length, length + 3);
            var w = TestVectors.Uniform(length, length + 6);
            var transform = new GradientTransform(0.25f, 0.02f);
            var updates = new (string Name, Action<float[], float[], float[], Span<float>> Run)[]
            {
                ("adam", (x, s1, s2, mirror) => backend.AdamUpdate(x, g, s1, s2, UpdateStep, transform, mirror)),
                ("sgd", (x, s1, _, mirror) => backend.SgdUpdate(x, g, s1, 0.05f, 0.9f, 0.01f, transform, mirror)),
                ("adadelta", (x, s1, s2, mirror) => backend.AdadeltaUpdate(x, g, s1, s2, 1.0f, 0.95f, 1e-6f, 0.01f, transform, mirror)),
            };
            foreach (var (name, run) in updates)
            {
                var (plain, mirrored) = ((float[])w.Clone(), (float[])w.Clone());
                var mirror = new float[length];
                Array.Fill(mirror, float.NaN);
                run(plain, Positive(length, length + 4, scale: 0.1f), Positive(length, length + 5, scale: 0.01f), default);
                run(mirrored, Positive(length, length + 4, scale: 0.1f), Positive(length, length + 5, scale: 0.01f), mirror);
                Assert.True(plain.AsSpan().SequenceEqual(mirrored), $"{name}, {length}: the mirror changed the update");
                Assert.True(plain.AsSpan().SequenceEqual(mirror), $"{name}, {length}: the mirror does not hold the new weights");
            }

            Assert.Throws<ArgumentException>(() => backend.AdamUpdate(w, g, new float[length], new float[length], UpdateStep, transform, new float[length + 1]));
        }
    }

    [Fact]
    public void Sums_should_flush_denormal_results_to_zero_and_keep_NaN()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        // 37 elements reach every lane of every width and the scalar tail. 3e-38 - 2.5e-38 = 5e-39 is denormal.
        const int length = 37;
        var x = Enumerable.Range(0, length).Select(i => i % 3 == 2 ? float.NaN : i % 3 == 1 ? 1.5f : 3e-38f).ToArray();
        var y = Enumerable.Range(0, length).Select(i => i % 3 == 1 ? 2f : -2.5e-38f).ToArray();
        var sum = new float[length];
        backend.Add(x, y, sum);
        var inPlace = (float[])x.Clone();
        backend.Add(inPlace, y);
        foreach (var result in new[] { sum, inPlace })
        {
            for (var i = 0; i < length; i++)
            {
                var expected = i % 3 == 2 ? float.NaN : i % 3 == 1 ? 3.5f : 0f;
                Assert.True(float.IsNaN(expected) ? float.IsNaN(result[i]) : expected.Equals(result[i]) && !float.IsNegative(result[i]), $"element {i}: {result[i]}, expected {expected}");
            }
        }

        var sums = new float[length];
        backend.ColumnSums(Enumerable.Repeat(5e-39f, length).ToArray(), 1, length, sums);
        AssertAllPositiveZero(sums, "ColumnSums over one row");
        backend.ColumnSums([.. Enumerable.Repeat(3e-38f, length), .. Enumerable.Repeat(-2.5e-38f, length)], 2, length, sums);
        AssertAllPositiveZero(sums, "ColumnSums over two rows");
    }

    [Fact]
    public void Activations_and_losses_should_flush_denormal_outputs_to_zero()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        const int length = 37;
        float[] Fill(float value) => Enumerable.Repeat(value, length).ToArray();

        // z + bias = 5e-39 (linear, ReLU), alpha·z = -1e-38 (leaky), σ(-100) = 3.7e-44. (Tanh is left out: the
        // vectorized tanh of TensorPrimitives returns about -6e-8 for such tiny arguments, not a denormal.)
        var cases = new (Activation Activation, float Z, float Bias)[]
        {
            (Activation.Linear, 3e-38f, -2.5e-38f), (Activation.ReLU, 3e-38f, -2.5e-38f), (new Activation(ActivationKind.LeakyReLU, 0.01f), -1e-36f, 0f),
            (Activation.Sigmoid, -100f, 0f),
        };
        foreach (var (activation, z, bias) in cases)
        {
            var output = Fill(float.NaN);
            backend.BiasActivation(Fill(z), Fill(bias), output, 1, length, activation);
            AssertAllPositiveZero(output, $"{activation.Kind} forward");
        }

        // Gradient 1e-39 times a derivative of 1 (linear, ReLU at z > 0), 1e-20 times σ'(a = 1e-20).
        foreach (var (activation, z, a, g) in new[] { (Activation.Linear, 1f, 1f, 1e-39f), (Activation.ReLU, 1f, 1f, 1e-39f), (Activation.Sigmoid, -46f, 1e-20f, 1e-20f) })
        {
            var gradient = Fill(g);
            backend.ActivationBackward(Fill(z), Fill(a), gradient, 1, length, activation);
            AssertAllPositiveZero(gradient, $"{activation.Kind} backward");
        }

        // Softmax over [0, -100]: the second probability is e^-100 = 3.7e-44; its Jacobian row gives 1e-30·(1e-10 - ~0).
        var probabilities = new float[2];
        var lossGradient = new float[2];
        backend.SoftmaxCrossEntropy([0f, -100f], [0], probabilities, lossGradient, 1, 2);
        Assert.Equal([1f, 0f], probabilities);
        Assert.Equal([0f, 0f], lossGradient);
        var softmax = new float[2];
        backend.BiasActivation(new float[] { 0f, -100f }, new float[2], softmax, 1, 2, Activation.Softmax);
        Assert.Equal([1f, 0f], softmax);
        float[] softmaxGradient = [1e-10f, 0f];
        backend.ActivationBackward(new float[2], [1e-30f, 1f], softmaxGradient, 1, 2, Activation.Softmax);
        Assert.Equal(0f, softmaxGradient[0]);

        var bceProbability = new float[1];
        var bceGradient = new float[1];
        backend.SigmoidBinaryCrossEntropy([-100f], [0], bceProbability, bceGradient, 1);
        AssertAllPositiveZero([bceProbability[0], bceGradient[0]], "sigmoid cross-entropy");
    }

    [Fact]
    public void Optimizer_updates_should_flush_denormal_weights_state_and_gradients_to_zero()
    {
        if (CreateBackend() is not { } backend)
        {
            return;
        }

        const int length = 37;
        float[] Fill(float value) => Enumerable.Repeat(value, length).ToArray();

        // State 1e-38 (normal) decays below 2^-126 in one step; the weights start denormal; the gradient is 0.
        var (w, m, v) = (Fill(1e-39f), Fill(1e-38f), Fill(1e-38f));
        backend.AdamUpdate(w, new float[length], m, v, UpdateStep, GradientTransform.Identity);
        AssertAllPositiveZero(w, "adam weights");
        AssertAllPositiveZero(m, "adam m");
        AssertAllPositiveZero(v, "adam v");

        (w, var velocity) = (Fill(1e-39f), Fill(1e-38f));
        backend.SgdUpdate(w, new float[length], velocity, 0.05f, 0.9f, 0.01f, GradientTransform.Identity);
        AssertAllPositiveZero(w, "sgd weights");
        AssertAllPositiveZero(velocity, "sgd velocity");

        (w, var squaredGradients, var squaredUpdates) = (Fill(1e-39f), Fill(1e-38f), Fill(1e-38f));
        backend.AdadeltaUpdate(w, new float[length], squaredGradients, squaredUpdates, 1.0f, 0.95f, 1e-6f, 0.01f, GradientTransform.Identity);
        AssertAllPositiveZero(w, "adadelta weights");
        AssertAllPositiveZero(squaredGradients, "adadelta squared gradients");
        AssertAllPositiveZero(squaredUpdates, "adadelta squared updates");

        // A denormal gradient is read as 0: Adam's moments stay exactly 0 instead of taking (1-β)·g.
        (m, v) = (new float[length], new float[length]);
        backend.AdamUpdate(Fill(1f), Fill(1e-39f), m, v, UpdateStep, GradientTransform.Identity);
        AssertAllPositiveZero(m, "adam m after a denormal gradient");
        AssertAllPositiveZero(v, "adam v after a denormal gradient");
    }

    private static void AssertAllPositiveZero(ReadOnlySpan<float> values, string what)
    {
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(values[i] == 0f && !float.IsNegative(values[i]), $"{what}: element {i} is {values[i]}, expected +0");
        }
    }

    /// <summary>Non-negative values (optimizer state such as Adam's v), from <see cref="TestVectors.Uniform"/>.</summary>
    private static float[] Positive(int length, int seed, float scale)
    {
        var values = TestVectors.Uniform(length, seed, scale);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Math.Abs(values[i]);
        }

        return values;
    }

    private static void CompareUpdate(float[] w, float[][] states, Action<IComputeBackend, float[][]> update, IComputeBackend backend, double relative = 0)
    {
        float[][] Copy() => [(float[])w.Clone(), (float[])states[0].Clone(), (float[])states[1].Clone()];
        var expected = Copy();
        var actual = Copy();
        update(Reference, expected);
        update(backend, actual);
        for (var i = 0; i < expected.Length; i++)
        {
            if (relative == 0)
            {
                Assert.Equal(expected[i], actual[i]);
            }
            else
            {
                AssertClose(expected[i], actual[i], relative, absolute: 1e-7);
            }
        }
    }

    private static void Compare(float[] x, Action<float[]> reference, Action<float[]> tested)
    {
        var (expected, actual) = ((float[])x.Clone(), (float[])x.Clone());
        reference(expected);
        tested(actual);
        AssertClose(expected, actual, 1e-6);
    }

    private static void CompareBits(float[] x, Action<float[]> reference, Action<float[]> tested)
    {
        var (expected, actual) = ((float[])x.Clone(), (float[])x.Clone());
        reference(expected);
        tested(actual);
        Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), actual.Select(BitConverter.SingleToUInt32Bits));
        Assert.All(actual, v => Assert.True(BFloat16.IsExact(v), $"{v:R} is not a bfloat16"));
    }

    private static void CheckGemm(IComputeBackend backend, bool transposeA, bool transposeB, int m, int n, int k, float[]? a = null)
    {
        a ??= TestVectors.Uniform(m * k, m * 31 + k);
        var b = TestVectors.Uniform(k * n, n * 17 + k);
        var absA = a.Select(Math.Abs).ToArray();
        var absB = b.Select(Math.Abs).ToArray();
        var bound = new float[m * n];
        Reference.Gemm(transposeA, transposeB, m, n, k, absA, absB, bound, 0f);
        var tolerance = 2.0 * (k + 1) * Math.Pow(2, -23);
        foreach (var beta in new[] { 0f, 1f })
        {
            var start = beta == 0 ? Enumerable.Repeat(float.NaN, m * n).ToArray() : TestVectors.Uniform(m * n, m + n);
            var (expected, actual) = ((float[])start.Clone(), (float[])start.Clone());
            if (beta == 0)
            {
                Array.Clear(expected);
            }

            Reference.Gemm(transposeA, transposeB, m, n, k, a, b, expected, beta);
            backend.Gemm(transposeA, transposeB, m, n, k, a, b, actual, beta);
            for (var i = 0; i < expected.Length; i++)
            {
                var allowed = tolerance * (bound[i] + (beta == 0 ? 0 : Math.Abs(start[i]))) + 1e-30;
                if (!(Math.Abs(expected[i] - actual[i]) <= allowed))
                {
                    Assert.Fail($"Gemm(tA={transposeA}, tB={transposeB}, {m}x{n}x{k}, beta {beta}): C[{i / n},{i % n}] = {actual[i]}, reference {expected[i]}, allowed ±{allowed}");
                }
            }
        }
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, double absolute = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = relative * Math.Abs(expected[i]) + absolute;
            if (!(Math.Abs(expected[i] - actual[i]) <= allowed))
            {
                Assert.Fail($"element {i}: {actual[i]}, reference {expected[i]}, allowed ±{allowed}");
            }
        }
    }
}
